//! IAM sub-resources against the AWS emulator: the instances' role and instance profile, and the
//! service roles, their trust policies and inline policies as IAM gives them back.

mod support;

use ec2fleet::resources::iam::codedeploy_role::{self, CodeDeployRole};
use ec2fleet::resources::iam::events_role::{self, EventsRole};
use ec2fleet::resources::iam::instance_profile::{self, InstanceProfile};
use ec2fleet::resources::iam::instance_role::{self, InstanceRole};
use ec2fleet::resources::iam::pipeline_role::{self, PipelineRole};
use ec2fleet::resources::iam::role::policy_document;
use ec2fleet::resources::Reconciler;
use serde_json::{json, Value};

fn grants() -> instance_role::Spec {
    instance_role::Spec {
        asset_bucket: "web-1-assets".into(),
        source_bucket: "web-1-source".into(),
        artifact_bucket: "web-1-artifacts".into(),
        log_group_arn: "arn:aws:logs:us-east-1:123456789012:log-group:/ec2fleet/web-1".into(),
        parameter_path: "/ec2fleet/web-1/env".into(),
    }
}

#[tokio::test]
async fn the_instance_role_grants_only_what_the_fleet_needs_and_the_profile_carries_it() {
    let f = support::Fleet::new("web-1a1a1a1", serde_json::json!({})).await;
    let (cx, profile_cx, aws) = (f.cx("InstanceRole"), f.cx("InstanceProfile"), &f.aws);

    let role = InstanceRole
        .apply(&cx, &grants())
        .await
        .expect("create role");
    assert_eq!(role.role_name, "web-1a1a1a1-instance");
    // A plain trust: EC2 takes the role for the profile's instances, on nobody else's behalf.
    assert_eq!(
        trust(aws, &role.role_name).await["Statement"],
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    );
    assert_eq!(
        managed(aws, &role.role_name).await,
        [
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
        ]
    );
    let doc = inline(aws, &role.role_name, "fleet-access")
        .await
        .to_string();
    assert!(
        doc.contains("arn:aws:s3:::web-1-assets/*") && doc.contains("arn:aws:s3:::web-1-source/*"),
        "{doc}"
    );
    assert!(
        !doc.contains("\"s3:*\"") && !doc.contains("\"*\""),
        "no wildcard grants: {doc}"
    );

    let profile_spec = instance_profile::Spec { role: role.clone() };
    let profile = InstanceProfile
        .apply(&profile_cx, &profile_spec)
        .await
        .expect("create profile");
    let p = aws
        .iam
        .get_instance_profile()
        .instance_profile_name(&profile.name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.instance_profile().unwrap().roles()[0].role_name(),
        role.role_name
    );

    // Adopted on a second run, not duplicated or re-added.
    assert_eq!(InstanceRole.apply(&cx, &grants()).await.unwrap(), role);
    assert_eq!(
        InstanceProfile
            .apply(&profile_cx, &profile_spec)
            .await
            .unwrap(),
        profile
    );

    InstanceProfile.delete(&profile_cx, &profile).await.unwrap();
    InstanceRole.delete(&cx, &role).await.unwrap();
    InstanceRole
        .delete(&cx, &role)
        .await
        .expect("a second delete is done");
    InstanceProfile
        .delete(&profile_cx, &profile)
        .await
        .expect("a second delete is done");
    assert_eq!(InstanceRole.read(&cx, &role).await.unwrap(), None);
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_role_name_taken_by_someone_else_is_a_clear_error_not_an_adoption() {
    let f = support::Fleet::new("web-2b2b2b2", serde_json::json!({})).await;
    let (cx, aws) = (f.cx("InstanceRole"), &f.aws);
    aws.iam
        .create_role()
        .role_name("web-2b2b2b2-instance")
        .assume_role_policy_document("{}")
        .send()
        .await
        .unwrap();
    let err = InstanceRole
        .apply(&cx, &grants())
        .await
        .expect_err("must not adopt a foreign role");
    assert!(
        err.to_string()
            .contains("does not belong to fleet web-2b2b2b2"),
        "{err}"
    );
    aws.iam
        .delete_role()
        .role_name("web-2b2b2b2-instance")
        .send()
        .await
        .unwrap();
    f.assert_no_leaks();
}

/// The role's trust policy, as IAM gives it back.
async fn trust(aws: &ec2fleet::aws::Clients, role: &str) -> Value {
    let got = aws.iam.get_role().role_name(role).send().await.unwrap();
    let doc = got.role().unwrap().assume_role_policy_document().unwrap();
    policy_document(doc).unwrap_or_else(|| panic!("not a policy: {doc}"))
}

/// ARNs of the role's attached managed policies, sorted.
async fn managed(aws: &ec2fleet::aws::Clients, role: &str) -> Vec<String> {
    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    let mut arns: Vec<String> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    arns.sort();
    arns
}

/// One inline policy of the role, as IAM gives it back.
async fn inline(aws: &ec2fleet::aws::Clients, role: &str, policy: &str) -> Value {
    let got = aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .unwrap();
    let doc = got.policy_document();
    policy_document(doc).unwrap_or_else(|| panic!("not a policy: {doc}"))
}

/// How many times the account's calls so far were `operation`.
fn calls_of(account: &str, operation: &str) -> usize {
    support::emulator()
        .calls(account)
        .iter()
        .filter(|c| c["operation"] == operation)
        .count()
}

#[tokio::test]
async fn the_codedeploy_role_is_trusted_only_for_the_fleets_group_and_may_launch_from_the_template()
{
    let f = support::Fleet::new("web-3c3c3c3", serde_json::json!({})).await;
    let cx = f.cx("CodeDeployRole");
    let role = CodeDeployRole.apply(&cx, &()).await.expect("create");
    assert_eq!(role.role_name, "web-3c3c3c3-codedeploy");
    assert_eq!(
        trust(&f.aws, &role.role_name).await["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": f.account},
                "ArnEquals": {"aws:SourceArn": format!("arn:aws:codedeploy:us-east-1:{}:deploymentgroup:web-3c3c3c3-app/web-3c3c3c3-dg", f.account)}
            }
        }])
    );
    assert_eq!(
        managed(&f.aws, &role.role_name).await,
        ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"]
    );
    assert_eq!(
        codedeploy_role::MANAGED_POLICY,
        "service-role/AWSCodeDeployRole"
    );
    // What AWSCodeDeployRole lacks for a group launched from a launch template.
    assert_eq!(
        inline(&f.aws, &role.role_name, "launch-template").await["Statement"],
        json!([
            {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole",
             "Resource": format!("arn:aws:iam::{}:role/ec2fleet/web-3c3c3c3-instance", f.account),
             "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
        ])
    );
    assert_eq!(
        CodeDeployRole.apply(&cx, &()).await.unwrap(),
        role,
        "adopted on a second run"
    );
    CodeDeployRole.delete(&cx, &role).await.unwrap();
    CodeDeployRole
        .delete(&cx, &role)
        .await
        .expect("a second delete is done");
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_role_made_with_a_plain_trust_is_brought_to_its_conditions_on_the_next_run() {
    let f = support::Fleet::new("web-3d3d3d3", serde_json::json!({})).await;
    let (cx, aws) = (f.cx("EventsRole"), &f.aws);
    let spec = events_role::Spec {
        pipeline_arn: format!(
            "arn:aws:codepipeline:us-east-1:{}:web-3d3d3d3-pipeline",
            f.account
        ),
    };
    let role = EventsRole.apply(&cx, &spec).await.expect("create");
    let wanted = trust(aws, &role.role_name).await;
    assert_eq!(
        wanted["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        format!(
            "arn:aws:events:us-east-1:{}:rule/web-3d3d3d3-release",
            f.account
        )
    );
    // As a version before the conditions made it (or someone loosened it since).
    let plain = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    aws.iam
        .update_assume_role_policy()
        .role_name(&role.role_name)
        .policy_document(plain.to_string())
        .send()
        .await
        .unwrap();
    let before = calls_of(&f.account, "UpdateAssumeRolePolicy");
    assert_eq!(EventsRole.apply(&cx, &spec).await.unwrap(), role, "adopted");
    assert_eq!(trust(aws, &role.role_name).await, wanted, "trust restored");
    assert_eq!(calls_of(&f.account, "UpdateAssumeRolePolicy"), before + 1);
    // A trust already as wanted is left alone.
    EventsRole.apply(&cx, &spec).await.unwrap();
    assert_eq!(calls_of(&f.account, "UpdateAssumeRolePolicy"), before + 1);
    EventsRole.delete(&cx, &role).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_pipeline_role_is_trusted_only_for_the_fleets_pipeline_and_scoped_to_its_objects() {
    let f = support::Fleet::new("web-4d4d4d4", serde_json::json!({})).await;
    let pipeline_cx = f.cx("PipelineRole");
    let spec = pipeline_role::Spec {
        source: "web-4d4d4d4-source".into(),
        artifacts: "web-4d4d4d4-artifacts".into(),
        application: "web-4d4d4d4-app".into(),
        group: "web-4d4d4d4-dg".into(),
        deployment_config: f.args.deployment_config.clone(),
    };
    let pipeline = PipelineRole
        .apply(&pipeline_cx, &spec)
        .await
        .expect("pipeline role");
    let account = &f.account;
    assert_eq!(
        trust(&f.aws, &pipeline.role_name).await["Statement"][0]["Condition"],
        json!({
            "StringEqualsIfExists": {"aws:SourceAccount": account},
            "ArnEqualsIfExists": {"aws:SourceArn": format!("arn:aws:codepipeline:us-east-1:{account}:web-4d4d4d4-pipeline")}
        })
    );
    let doc = inline(&f.aws, &pipeline.role_name, "pipeline-access").await;
    let statement = |sid: &str| {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid} in {doc}"))
            .clone()
    };
    let cd = |what: &str| format!("arn:aws:codedeploy:us-east-1:{account}:{what}");
    assert_eq!(
        statement("Deploy")["Resource"],
        json!([
            cd("application:web-4d4d4d4-app"),
            cd("deploymentgroup:web-4d4d4d4-app/web-4d4d4d4-dg"),
            cd(&format!("deploymentconfig:{}", f.args.deployment_config)),
        ])
    );
    assert!(statement("Deploy")["Action"]
        .as_array()
        .unwrap()
        .contains(&json!("codedeploy:CreateDeployment")));
    let source = statement("SourceBucket");
    assert_eq!(
        source["Resource"],
        json!(["arn:aws:s3:::web-4d4d4d4-source"])
    );
    for action in [
        "s3:GetBucketVersioning",
        "s3:GetBucketAcl",
        "s3:GetBucketLocation",
    ] {
        assert!(
            source["Action"]
                .as_array()
                .unwrap()
                .contains(&json!(action)),
            "{action}"
        );
    }
    let objects = statement("SourceObjects");
    assert_eq!(
        objects["Resource"],
        json!(["arn:aws:s3:::web-4d4d4d4-source/*"])
    );
    assert!(objects["Action"]
        .as_array()
        .unwrap()
        .contains(&json!("s3:GetObjectTagging")));
    assert_eq!(
        statement("ArtifactObjects")["Condition"],
        json!({"StringEquals": {"aws:ResourceAccount": account}})
    );
    let text = doc.to_string();
    assert!(
        !text.contains("\"s3:*\"") && !text.contains("\"*\""),
        "{doc}"
    );
    PipelineRole.delete(&pipeline_cx, &pipeline).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_events_role_trusts_eventbridge_to_start_only_the_fleets_pipeline() {
    let f = support::Fleet::new("web-4e4e4e4", serde_json::json!({})).await;
    let events_cx = f.cx("EventsRole");
    let pipeline_arn = "arn:aws:codepipeline:us-east-1:123456789012:web-4e4e4e4-pipeline";
    let events = EventsRole
        .apply(
            &events_cx,
            &events_role::Spec {
                pipeline_arn: pipeline_arn.into(),
            },
        )
        .await
        .expect("events role");
    let doc = inline(&f.aws, &events.role_name, "start-pipeline").await;
    assert_eq!(
        doc["Statement"],
        json!([{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": pipeline_arn}])
    );
    assert_eq!(
        trust(&f.aws, &events.role_name).await["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": f.account},
                "ArnEquals": {"aws:SourceArn": format!("arn:aws:events:us-east-1:{}:rule/web-4e4e4e4-release", f.account)}
            }
        }])
    );
    EventsRole.delete(&events_cx, &events).await.unwrap();
    EventsRole
        .delete(&events_cx, &events)
        .await
        .expect("a second delete is done");
    f.assert_no_leaks();
}
