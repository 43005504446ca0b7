//! IAM sub-resources against the AWS emulator: the instances' role and instance profile.

mod support;

use ec2fleet::resources::iam::codedeploy_role::{self, CodeDeployRole};
use ec2fleet::resources::iam::events_role::{self, EventsRole};
use ec2fleet::resources::iam::instance_profile::{self, InstanceProfile};
use ec2fleet::resources::iam::instance_role::{self, InstanceRole};
use ec2fleet::resources::iam::pipeline_role::{self, PipelineRole};
use ec2fleet::resources::Reconciler;

fn grants() -> instance_role::Spec {
    instance_role::Spec {
        asset_bucket: "web-1-assets".into(),
        source_bucket: "web-1-source".into(),
        artifact_bucket: "web-1-artifacts".into(),
        log_group_arn: "arn:aws:logs:us-east-1:123456789012:log-group:/ec2fleet/web-1".into(),
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
    let trust = trust(aws, &role.role_name).await;
    assert!(trust.contains("ec2.amazonaws.com"), "{trust}");
    assert_eq!(
        managed(aws, &role.role_name).await,
        instance_role::MANAGED_POLICIES.to_vec()
    );
    let doc = inline(aws, &role.role_name, "fleet-access").await;
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

/// The role's trust policy, decoded.
async fn trust(aws: &ec2fleet::aws::Clients, role: &str) -> String {
    let got = aws.iam.get_role().role_name(role).send().await.unwrap();
    urlencoding_decode(got.role().unwrap().assume_role_policy_document().unwrap())
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

/// One inline policy of the role, decoded.
async fn inline(aws: &ec2fleet::aws::Clients, role: &str, policy: &str) -> String {
    let got = aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .unwrap();
    urlencoding_decode(got.policy_document())
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'%'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_codedeploy_role_trusts_codedeploy_with_awss_managed_policy() {
    let f = support::Fleet::new("web-3c3c3c3", serde_json::json!({})).await;
    let cx = f.cx("CodeDeployRole");
    let role = CodeDeployRole.apply(&cx, &()).await.expect("create");
    assert_eq!(role.role_name, "web-3c3c3c3-codedeploy");
    let trust = trust(&f.aws, &role.role_name).await;
    assert!(trust.contains("codedeploy.amazonaws.com"), "{trust}");
    assert_eq!(
        managed(&f.aws, &role.role_name).await,
        vec![codedeploy_role::MANAGED_POLICY]
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
async fn the_pipeline_role_is_scoped_to_the_fleets_buckets() {
    let f = support::Fleet::new("web-4d4d4d4", serde_json::json!({})).await;
    let pipeline_cx = f.cx("PipelineRole");
    let buckets = pipeline_role::Spec {
        source: "web-4d4d4d4-source".into(),
        artifacts: "web-4d4d4d4-artifacts".into(),
    };
    let pipeline = PipelineRole
        .apply(&pipeline_cx, &buckets)
        .await
        .expect("pipeline role");
    let doc = inline(&f.aws, &pipeline.role_name, "pipeline-access").await;
    assert!(
        doc.contains("arn:aws:s3:::web-4d4d4d4-source/*")
            && doc.contains("codedeploy:CreateDeployment"),
        "{doc}"
    );
    assert!(!doc.contains("\"s3:*\""), "{doc}");
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
    assert!(
        doc.contains("codepipeline:StartPipelineExecution") && doc.contains(pipeline_arn),
        "{doc}"
    );
    assert!(trust(&f.aws, &events.role_name)
        .await
        .contains("events.amazonaws.com"));
    EventsRole.delete(&events_cx, &events).await.unwrap();
    EventsRole
        .delete(&events_cx, &events)
        .await
        .expect("a second delete is done");
    f.assert_no_leaks();
}
