//! The `environment` input against the AWS emulator: SecureString parameters under the fleet's
//! path that the instance role may read, no value in the records, the progress, the user data or
//! an error; an unchanged run writes nothing, a changed value writes one parameter and deploys the
//! current release again, a removed name is deleted, and delete leaves no parameter behind.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use ec2fleet::fleet::converge::{converge, How};
use ec2fleet::fleet::destroy::{destroy, replaced};
use ec2fleet::fleet::Records;
use serde_json::json;
use support::{count_since, last_seq, never_cancelled, quiet};

const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
const SECRET: &str = "hunter2-correct-horse-battery";
const ROTATED: &str = "rotated-staple-9f8e7d";

fn inputs(dir: &Path, environment: serde_json::Value) -> serde_json::Value {
    json!({
        "cdn": {"enabled": false},
        "release": {SIG_KEY: ARCHIVE_SIG, "path": dir.to_str().unwrap()},
        "environment": environment,
    })
}

/// Every parameter under the fleet's path: name → (type, decrypted value).
async fn parameters(f: &support::Fleet) -> Vec<(String, String, String)> {
    let out = f
        .aws
        .ssm
        .get_parameters_by_path()
        .path(format!("/ec2fleet/{}/env", f.prefix))
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    out.parameters()
        .iter()
        .map(|p| {
            (
                p.name().unwrap().to_string(),
                p.r#type().unwrap().as_str().to_string(),
                p.value().unwrap().to_string(),
            )
        })
        .collect()
}

/// An update of `f` from `have`, from the `old` inputs (as the engine's Update would run it).
async fn update(
    f: &support::Fleet,
    old: &ec2fleet::fleet::FleetArgs,
    have: Records,
) -> Result<Records, ec2fleet::fleet::apply::Incomplete> {
    let how = How {
        replace: replaced(old, &f.args),
        ..How::default()
    };
    let fleet = f.fleet(None).updating_from(old);
    Box::pin(converge(
        &fleet,
        have,
        how,
        never_cancelled(),
        (&quiet, &quiet),
    ))
    .await
}

async fn user_data(f: &support::Fleet, records: &Records) -> String {
    let lt = records.launch_template.as_ref().unwrap();
    let out = f
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt.launch_template_id)
        .versions(lt.version.to_string())
        .send()
        .await
        .unwrap();
    let data = out.launch_template_versions()[0]
        .launch_template_data()
        .and_then(|d| d.user_data())
        .unwrap()
        .to_string();
    String::from_utf8(aws_smithy_types::base64::decode(data).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_environment_is_secure_parameters_the_role_reads_and_a_change_redeploys_the_release() {
    let dir = tempfile::tempdir().unwrap();
    support::write_app(dir.path(), "require('http').createServer().listen(8080)\n");
    let mut f = support::Fleet::new(
        "env-3c1d",
        inputs(dir.path(), json!({"DB_PASSWORD": SECRET, "PORT": "8080"})),
    )
    .await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    f.waits = ec2fleet::aws::Waits::new(
        std::time::Duration::from_secs(120),
        Arc::new(move |l| sink.lock().unwrap().push(l)),
    );

    let first = support::up(&f, Records::default()).await.expect("create");
    let path = format!("/ec2fleet/{}/env", f.prefix);
    assert_eq!(
        parameters(&f).await,
        [
            (
                format!("{path}/DB_PASSWORD"),
                "SecureString".into(),
                SECRET.into()
            ),
            (format!("{path}/PORT"), "SecureString".into(), "8080".into()),
        ]
    );
    let tags = f
        .aws
        .ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(format!("{path}/DB_PASSWORD"))
        .send()
        .await
        .unwrap();
    assert!(tags
        .tag_list()
        .iter()
        .any(|t| t.key() == "ec2fleet:fleet" && t.value() == f.prefix));
    let policy = f
        .aws
        .iam
        .get_role_policy()
        .role_name(format!("{}-instance", f.prefix))
        .policy_name("fleet-access")
        .send()
        .await
        .unwrap();
    let doc = ec2fleet::resources::iam::role::policy_document(policy.policy_document()).unwrap();
    let arn = format!("arn:aws:ssm:us-east-1:{}:parameter{path}", f.account);
    let grants: Vec<&serde_json::Value> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.to_string().contains("ssm:"))
        .collect();
    assert_eq!(grants.len(), 1, "{doc}");
    assert_eq!(grants[0]["Resource"], json!([arn, format!("{arn}/*")]));
    assert_eq!(
        first.release.as_ref().unwrap().deployment_status,
        "Succeeded"
    );
    // No value anywhere the fleet writes down or says.
    let recorded = serde_json::to_string(&first).unwrap();
    assert!(
        recorded.contains("DB_PASSWORD") && !recorded.contains(SECRET),
        "{recorded}"
    );
    assert!(!format!("{:?}", f.args).contains(SECRET));
    assert!(!user_data(&f, &first).await.contains(SECRET));

    // Unchanged: no write, no deployment.
    let since = last_seq(&f.account);
    let again = update(&f, &f.args.clone(), first.clone())
        .await
        .expect("unchanged");
    assert_eq!(count_since(&f.account, since, "ssm:PutParameter"), 0);
    assert_eq!(
        count_since(&f.account, since, "codepipeline:StartPipelineExecution"),
        0
    );
    assert_eq!(again.environment, first.environment);

    // One changed value, one name dropped: one write, one delete, the release deployed again
    // (no new upload), the app's restart loading the new value.
    let old = f.args.clone();
    f.args = ec2fleet::fleet::parse(inputs(dir.path(), json!({"DB_PASSWORD": ROTATED}))).unwrap();
    let since = last_seq(&f.account);
    let rotated = update(&f, &old, again.clone()).await.expect("rotate");
    assert_eq!(count_since(&f.account, since, "ssm:PutParameter"), 1);
    assert_eq!(count_since(&f.account, since, "ssm:DeleteParameters"), 1);
    assert_eq!(count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(
        count_since(&f.account, since, "codepipeline:StartPipelineExecution"),
        1
    );
    assert_eq!(
        parameters(&f).await,
        [(
            format!("{path}/DB_PASSWORD"),
            "SecureString".into(),
            ROTATED.into()
        )]
    );
    let (before, after) = (again.release.unwrap(), rotated.release.clone().unwrap());
    assert_eq!(after.version_id, before.version_id);
    assert_eq!(after.deployment_status, "Succeeded");
    assert_ne!(after.deployment_id, before.deployment_id);
    assert_eq!(
        rotated.environment.as_ref().unwrap().versions["DB_PASSWORD"],
        2
    );

    // The environment taken away: its parameters go before the redeploy.
    let old = f.args.clone();
    f.args = ec2fleet::fleet::parse(inputs(dir.path(), json!({}))).unwrap();
    let cleared = update(&f, &old, rotated).await.expect("clear");
    assert!(parameters(&f).await.is_empty());
    assert!(cleared.environment.is_none());
    let progress = lines.lock().unwrap().join("\n");
    assert!(
        progress.contains("the app's environment changed"),
        "{progress}"
    );
    assert!(!progress.contains(SECRET) && !progress.contains(ROTATED));

    // Back again, then delete: no parameter left.
    let old = f.args.clone();
    f.args = ec2fleet::fleet::parse(inputs(dir.path(), json!({"DB_PASSWORD": SECRET}))).unwrap();
    let back = update(&f, &old, cleared).await.expect("restore");
    assert_eq!(parameters(&f).await.len(), 1);
    destroy(&f.fleet(None), &back, never_cancelled(), &quiet)
        .await
        .expect("delete");
    f.assert_no_leaks();
}
