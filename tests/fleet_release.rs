//! The `release` input against the AWS emulator: the app's deterministic zip reaches the source key
//! once per content, an unchanged run writes nothing to S3, a changed file makes exactly one new
//! version, and delete removes every version the fleet uploaded (and nothing it did not).

mod support;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::Records;
use ec2fleet::resources::delivery::pipeline_execution::{self, DeployAction};
use serde_json::json;
use support::{never_cancelled, quiet};

const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";

fn inputs(dir: &Path) -> serde_json::Value {
    json!({
        "cdn": {"enabled": false},
        "forceDestroy": false,
        "release": {SIG_KEY: ARCHIVE_SIG, "path": dir.to_str().unwrap()},
    })
}

async fn versions(f: &support::Fleet, bucket: &str, key: &str) -> Vec<String> {
    let out = f
        .aws
        .s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .unwrap();
    out.versions()
        .iter()
        .filter_map(|v| v.version_id().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_is_uploaded_once_per_content_and_delete_removes_only_the_fleets_versions() {
    let dir = tempfile::tempdir().unwrap();
    support::write_app(dir.path(), "require('http').createServer().listen(8080)\n");
    let f = support::Fleet::new("rel-51a7", inputs(dir.path())).await;
    let rx = never_cancelled();
    let first = support::up(&f, Records::default()).await.expect("create");
    let release = first.release.clone().expect("the release is recorded");
    assert_eq!(release.key, "source.zip");
    let zip = f.fleet(None).release_zip().unwrap();
    assert_eq!(release.sha256, zip.sha256);
    let got = f
        .aws
        .s3
        .get_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_id(), Some(release.version_id.as_str()));
    assert_eq!(got.content_type(), Some("application/zip"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        body.as_ref(),
        zip.bytes.as_slice(),
        "the object is the deterministic zip"
    );

    // The same content again (a re-run of every node): no S3 object write, the same version.
    let since = support::last_seq(&f.account);
    let again = support::up(&f, first.clone())
        .await
        .expect("unchanged update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(again.release, first.release);

    // One changed file: exactly one new version.
    support::write_app(
        dir.path(),
        "require('http').createServer().listen(8080) // v2\n",
    );
    let since = support::last_seq(&f.account);
    let changed = support::up(&f, again).await.expect("changed update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 1);
    let second = changed.release.clone().unwrap();
    assert_ne!(second.version_id, release.version_id);
    assert_ne!(second.sha256, release.sha256);
    let keyed = versions(&f, &release.bucket, &release.key).await;
    assert_eq!(keyed.len(), 2, "{keyed:?}");

    // A version someone else put at the key is not the fleet's to delete: with forceDestroy false
    // it alone stops the bucket's delete.
    f.aws
        .s3
        .put_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .body(ByteStream::from_static(b"by hand"))
        .send()
        .await
        .unwrap();
    let stopped = destroy(&f.fleet(None), &changed, rx.clone(), &quiet)
        .await
        .expect_err("the hand-made version stops the delete");
    assert!(
        stopped.records.release.is_none(),
        "the fleet's versions are gone"
    );
    assert!(stopped.records.source_bucket.is_some());
    let left = versions(&f, &release.bucket, &release.key).await;
    assert_eq!(left.len(), 1, "only the hand-made version stays: {left:?}");
    assert!(!left.contains(&release.version_id) && !left.contains(&second.version_id));
    f.aws
        .s3
        .delete_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .version_id(&left[0])
        .send()
        .await
        .unwrap();
    destroy(&f.fleet(None), &stopped.records, rx, &quiet)
        .await
        .expect("delete");
    f.assert_no_leaks();
}

async fn deployments(f: &support::Fleet, records: &Records) -> Vec<String> {
    let group = records.deployment_group.as_ref().unwrap();
    let out = f
        .aws
        .codedeploy
        .list_deployments()
        .application_name(&group.application)
        .deployment_group_name(&group.name)
        .send()
        .await
        .unwrap();
    out.deployments().to_vec()
}

async fn deployment(f: &support::Fleet, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let out = f
        .aws
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .unwrap();
    out.deployment_info.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_is_followed_to_its_deployment_and_a_failing_hook_fails_the_update() {
    let dir = tempfile::tempdir().unwrap();
    support::write_app(dir.path(), "require('http').createServer().listen(8080)\n");
    let mut f = support::Fleet::new("fol-51a7", inputs(dir.path())).await;
    // The account's second deployment fails in ApplicationStart, as the agent reports a script's
    // failure; the first and third go through.
    support::emulator().control_post(
        "/profile",
        json!({"hook_failures": [{"event": "ApplicationStart", "deployment": 2, "account": f.account,
                                  "exit_code": 1, "stderr": "Error: Cannot find module 'express'"}]}),
    );
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    f.waits = ec2fleet::aws::Waits::new(
        std::time::Duration::from_secs(120),
        std::sync::Arc::new(move |l| sink.lock().unwrap().push(l)),
    );

    let first = support::up(&f, Records::default()).await.expect("create");
    let release = first.release.clone().unwrap();
    assert_eq!(release.deployment_status, "Succeeded");
    assert!(release.deployment_id.starts_with("d-"), "{release:?}");
    let good = deployment(&f, &release.deployment_id).await;
    assert_eq!(good.status().map(|s| s.as_str()), Some("Succeeded"));
    let progress = lines.lock().unwrap().clone();
    let short = &release.sha256[..8];
    assert!(
        progress
            .iter()
            .any(|l| l.starts_with(&format!("deploying release {short}"))
                && l.ends_with("instances done")),
        "{progress:?}"
    );

    // Unchanged: no upload and no deployment.
    let since = support::last_seq(&f.account);
    let again = support::up(&f, first.clone()).await.expect("unchanged");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(deployments(&f, &again).await.len(), 1);
    assert_eq!(again.release, first.release);

    // A changed file whose ApplicationStart fails: the update fails naming the instance, the
    // hook, the script and its output; CodeDeploy rolls back to the first release.
    support::write_app(dir.path(), "require('express')\n");
    let failed = support::up(&f, again)
        .await
        .expect_err("the deployment fails");
    let (node, e) = &failed.failed[0];
    assert_eq!(*node, ec2fleet::fleet::Node::Release);
    let msg = e.to_string();
    for want in [
        "did not deploy",
        "lifecycle event ApplicationStart failed: ScriptFailed",
        "Script at specified location: scripts/start.sh failed with exit code 1",
        "[stderr]Error: Cannot find module 'express'",
        "HEALTH_CONSTRAINTS",
        "rolls the instances back to the previous release",
    ] {
        assert!(msg.contains(want), "{want:?} missing from: {msg}");
    }
    let bad = failed.records.release.clone().unwrap();
    assert_eq!(bad.deployment_status, "Failed");
    let bad_info = deployment(&f, &bad.deployment_id).await;
    let rollback_id = bad_info
        .rollback_info()
        .unwrap()
        .rollback_deployment_id()
        .unwrap();
    let rollback = deployment(&f, rollback_id).await;
    assert_eq!(
        rollback.creator().map(|c| c.as_str()),
        Some("codeDeployRollback")
    );
    assert_eq!(
        rollback.revision(),
        good.revision(),
        "the first release is deployed again"
    );

    // The same inputs again: nothing is uploaded, the pipeline runs once more and deploys.
    let since = support::last_seq(&f.account);
    let retried = support::up(&f, failed.records).await.expect("retry");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(
        support::count_since(&f.account, since, "codepipeline:StartPipelineExecution"),
        1
    );
    let third = retried.release.clone().unwrap();
    assert_eq!(third.version_id, bad.version_id);
    assert_eq!(third.deployment_status, "Succeeded");
    assert_ne!(third.deployment_id, bad.deployment_id);

    // waitForRelease false: the upload ends the update.
    support::write_app(
        dir.path(),
        "require('http').createServer().listen(8080) // v3\n",
    );
    let mut inputs = inputs(dir.path());
    inputs["waitForRelease"] = json!(false);
    f.args = ec2fleet::fleet::parse(inputs).unwrap();
    let since = support::last_seq(&f.account);
    let unwatched = support::up(&f, retried).await.expect("upload only");
    let fourth = unwatched.release.clone().unwrap();
    assert_ne!(fourth.version_id, third.version_id);
    assert_eq!(
        (
            fourth.deployment_id.as_str(),
            fourth.deployment_status.as_str()
        ),
        ("", "")
    );
    assert_eq!(
        support::count_since(&f.account, since, "codedeploy:GetDeployment"),
        0
    );

    // A Source action that fails (the version it is pinned to is gone) is reported with the reason
    // CodePipeline gives in the action's error details.
    let cx = f.cx("Release");
    let pipeline = &unwatched.pipeline.as_ref().unwrap().name;
    let run = pipeline_execution::start(&cx, pipeline, "no-such-version")
        .await
        .unwrap();
    let failed = loop {
        match pipeline_execution::deploy_action(&cx, pipeline, &run)
            .await
            .unwrap()
        {
            DeployAction::Waiting => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            other => break other,
        }
    };
    assert_eq!(
        failed,
        DeployAction::Failed(
            "the Source action failed: The object with key 'source.zip' does not exist.".into()
        )
    );

    destroy(&f.fleet(None), &unwatched, never_cancelled(), &quiet)
        .await
        .expect("delete");
    f.assert_no_leaks();
}
