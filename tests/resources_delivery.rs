//! Delivery sub-resources against the AWS emulator: the pipeline from the source bucket to the
//! deployment group, the trail that records uploads of the release archive, and the EventBridge rule
//! that starts the pipeline on them.

mod support;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::types::{ActionCategory, ActionDeclaration, PipelineType};
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
use aws_sdk_eventbridge::types::RuleState;
use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::aws::Clients;
use ec2fleet::resources::delivery::codedeploy_application::CodeDeployApplication;
use ec2fleet::resources::delivery::deployment_group::{DeploymentGroup, DeploymentGroupState};
use ec2fleet::resources::delivery::event_rule::{self, EventRule};
use ec2fleet::resources::delivery::pipeline::{self, Pipeline, PipelineState};
use ec2fleet::resources::delivery::trail::{self, Trail};
use ec2fleet::resources::iam::events_role::{self, EventsRole};
use ec2fleet::resources::iam::pipeline_role::{self, PipelineRole};
use ec2fleet::resources::iam::role::{policy_document, RoleState};
use ec2fleet::resources::storage::bucket::{self, BucketState};
use ec2fleet::resources::{Reconciler, TAG_FLEET};
use serde_json::{json, Value};
use support::stacks::Deployable;
use support::Fleet;

/// The source and artifacts buckets, made as the fleet makes them from its inputs.
async fn buckets(f: &Fleet) -> (BucketState, BucketState) {
    let source = bucket::Bucket::source(f.args.force_destroy)
        .apply(&f.cx("SourceBucket"), &())
        .await
        .unwrap();
    let artifacts = bucket::Bucket::artifacts()
        .apply(&f.cx("ArtifactBucket"), &())
        .await
        .unwrap();
    (source, artifacts)
}

/// Deletes the buckets `buckets` made.
async fn delete_buckets(f: &Fleet, source: &BucketState, artifacts: &BucketState) {
    bucket::Bucket::artifacts()
        .delete(&f.cx("ArtifactBucket"), artifacts)
        .await
        .unwrap();
    bucket::Bucket::source(f.args.force_destroy)
        .delete(&f.cx("SourceBucket"), source)
        .await
        .unwrap();
}

/// The role's trust policy and its inline policy `inline`, as IAM gives them back.
async fn role_policies(aws: &Clients, role: &str, inline: &str) -> (Value, Value) {
    let got = aws.iam.get_role().role_name(role).send().await.unwrap();
    let trust = got.role().unwrap().assume_role_policy_document().unwrap();
    let policy = aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(inline)
        .send()
        .await
        .unwrap();
    (
        policy_document(trust).unwrap(),
        policy_document(policy.policy_document()).unwrap(),
    )
}

/// The pipeline `name` as CodePipeline declares it.
async fn get_pipeline(aws: &Clients, name: &str) -> GetPipelineOutput {
    aws.codepipeline
        .get_pipeline()
        .name(name)
        .send()
        .await
        .unwrap()
}

/// The rule `name` as EventBridge describes it.
async fn describe_rule(aws: &Clients, name: &str) -> DescribeRuleOutput {
    aws.events.describe_rule().name(name).send().await.unwrap()
}

/// The targets of the rule `name`.
async fn rule_targets(aws: &Clients, name: &str) -> ListTargetsByRuleOutput {
    aws.events
        .list_targets_by_rule()
        .rule(name)
        .send()
        .await
        .unwrap()
}

/// Whether the trail `name` is logging, and the rest of its status.
async fn trail_status(aws: &Clients, name: &str) -> GetTrailStatusOutput {
    aws.cloudtrail
        .get_trail_status()
        .name(name)
        .send()
        .await
        .unwrap()
}

/// One action's type as `(category, owner, provider, version)`.
fn action_kind(a: &ActionDeclaration) -> (ActionCategory, String, String, String) {
    let t = a.action_type_id().expect("an action type");
    (
        t.category().clone(),
        t.owner().as_str().to_string(),
        t.provider().to_string(),
        t.version().to_string(),
    )
}

/// An action's configuration, sorted for comparison.
fn config(a: &ActionDeclaration) -> BTreeMap<String, String> {
    a.configuration()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn the_pipeline_deploys_the_release_archive_and_the_rule_starts_it_on_each_upload() {
    let f = Fleet::new("web-d1d1d1d", json!({"sourceKey": "releases/app.zip"})).await;
    let aws = &f.aws;
    let (cx, rule_cx) = (f.cx("Pipeline"), f.cx("EventRule"));
    let (source, artifacts) = buckets(&f).await;
    let target = Deployable::build(&f).await;
    assert_eq!(
        DeploymentGroup
            .read(&f.cx("DeploymentGroup"), &target.dg)
            .await
            .unwrap(),
        Some(target.dg.clone())
    );
    assert_eq!(
        CodeDeployApplication
            .read(&f.cx("CodeDeployApplication"), &target.app)
            .await
            .unwrap(),
        Some(target.app.clone())
    );
    let role_spec = pipeline_role::Spec {
        source: source.name.clone(),
        artifacts: artifacts.name.clone(),
        application: target.app.name.clone(),
        group: target.dg.name.clone(),
        deployment_config: f.args.deployment_config.clone(),
    };
    let p_role = PipelineRole
        .apply(&f.cx("PipelineRole"), &role_spec)
        .await
        .unwrap();
    let spec = pipeline::Spec {
        role: p_role.clone(),
        source: source.clone(),
        artifacts: artifacts.clone(),
        group: target.dg.clone(),
        source_key: f.args.source_key.clone(),
    };

    let p = Pipeline.apply(&cx, &spec).await.expect("create pipeline");
    assert_eq!(
        p,
        PipelineState {
            name: "web-d1d1d1d-pipeline".into(),
            arn: format!(
                "arn:aws:codepipeline:us-east-1:{}:web-d1d1d1d-pipeline",
                f.account
            ),
        }
    );
    let got = get_pipeline(aws, &p.name).await;
    let decl = got.pipeline().unwrap();
    assert_eq!(decl.role_arn(), p_role.role_arn);
    // The role's trust, written before the pipeline existed, names the pipeline that was made; its
    // CodeDeploy grants name the application, group and configuration the Deploy stage uses.
    let (trust, access) = role_policies(aws, &p_role.role_name, "pipeline-access").await;
    assert_eq!(
        trust["Statement"][0]["Condition"],
        json!({"StringEqualsIfExists": {"aws:SourceAccount": f.account}, "ArnEqualsIfExists": {"aws:SourceArn": p.arn}})
    );
    let codedeploy = |what: String| format!("arn:aws:codedeploy:us-east-1:{}:{what}", f.account);
    assert_eq!(
        statement(&access, "Deploy")["Resource"],
        json!([
            codedeploy(format!("application:{}", target.dg.application)),
            codedeploy(format!(
                "deploymentgroup:{}/{}",
                target.dg.application, target.dg.name
            )),
            codedeploy(format!("deploymentconfig:{}", target.dg_spec.config)),
        ])
    );
    assert_eq!(
        statement(&access, "SourceObjects")["Resource"],
        json!([format!("arn:aws:s3:::{}/*", source.name)])
    );
    assert_eq!(
        statement(&access, "ArtifactObjects")["Resource"],
        json!([format!("arn:aws:s3:::{}/*", artifacts.name)])
    );
    // The CodeDeploy role's trust matches the group that was made, and it may pass the instances'
    // role that was made, to EC2 only.
    let (cd_trust, cd_launch) =
        role_policies(aws, &target.cd_role.role_name, "launch-template").await;
    assert_eq!(
        cd_trust["Statement"][0]["Condition"]["StringEquals"],
        json!({"aws:SourceAccount": f.account})
    );
    let group_arn = codedeploy(format!(
        "deploymentgroup:{}/{}",
        target.dg.application, target.dg.name
    ));
    assert_eq!(
        cd_trust["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!(group_arn),
        "exactly the group that was made"
    );
    assert_eq!(
        cd_launch["Statement"][1],
        json!({"Effect": "Allow", "Action": "iam:PassRole",
               "Resource": target.group.inputs.identity.role.role_arn,
               "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})
    );
    assert_eq!(decl.pipeline_type(), Some(&PipelineType::V2));
    let store = decl.artifact_store().unwrap();
    assert_eq!(
        (store.r#type().as_str(), store.location()),
        ("S3", artifacts.name.as_str())
    );
    let stages: Vec<&str> = decl.stages().iter().map(|s| s.name()).collect();
    assert_eq!(stages, ["Source", "Deploy"]);
    let (src, dep) = (&decl.stages()[0].actions(), &decl.stages()[1].actions());
    assert_eq!((src.len(), dep.len()), (1, 1), "one action per stage");
    assert_eq!(
        action_kind(&src[0]),
        (
            ActionCategory::Source,
            "AWS".into(),
            "S3".into(),
            "1".into()
        )
    );
    assert_eq!(
        config(&src[0]),
        strings(&[
            ("S3Bucket", "web-d1d1d1d-source"),
            ("S3ObjectKey", "releases/app.zip"),
            ("PollForSourceChanges", "false"),
        ])
    );
    assert_eq!(src[0].output_artifacts()[0].name(), "SourceArtifact");
    assert_eq!(
        action_kind(&dep[0]),
        (
            ActionCategory::Deploy,
            "AWS".into(),
            "CodeDeploy".into(),
            "1".into()
        )
    );
    assert_eq!(
        config(&dep[0]),
        strings(&[
            ("ApplicationName", "web-d1d1d1d-app"),
            ("DeploymentGroupName", "web-d1d1d1d-dg"),
        ])
    );
    assert_eq!(dep[0].input_artifacts()[0].name(), "SourceArtifact");
    let tags = aws
        .codepipeline
        .list_tags_for_resource()
        .resource_arn(&p.arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == TAG_FLEET && t.value() == "web-d1d1d1d"),
        "{tags:?}"
    );

    // Someone points the source at another key and turns polling on: the next run restores it.
    let mut drifted = decl.clone();
    drifted.stages[0].actions[0].configuration = Some(HashMap::from([
        ("S3Bucket".to_string(), source.name.clone()),
        ("S3ObjectKey".to_string(), "other.zip".to_string()),
        ("PollForSourceChanges".to_string(), "true".to_string()),
    ]));
    aws.codepipeline
        .update_pipeline()
        .pipeline(drifted)
        .send()
        .await
        .unwrap();
    assert_eq!(
        Pipeline.apply(&cx, &spec).await.unwrap(),
        p,
        "adopted on a second run"
    );
    let got = get_pipeline(aws, &p.name).await;
    assert_eq!(
        config(&got.pipeline().unwrap().stages()[0].actions()[0])["S3ObjectKey"],
        "releases/app.zip"
    );
    let listed = aws.codepipeline.list_pipelines().send().await.unwrap();
    assert_eq!(listed.pipelines().len(), 1, "no second pipeline");
    assert_eq!(Pipeline.read(&cx, &p).await.unwrap(), Some(p.clone()));

    let e_role = EventsRole
        .apply(
            &f.cx("EventsRole"),
            &events_role::Spec {
                pipeline_arn: p.arn.clone(),
            },
        )
        .await
        .unwrap();
    let rule_spec = event_rule::Spec {
        source: source.clone(),
        pipeline: p.clone(),
        role: e_role.clone(),
        source_key: f.args.source_key.clone(),
    };
    let rule = EventRule
        .apply(&rule_cx, &rule_spec)
        .await
        .expect("create rule");
    assert_eq!(rule.name, "web-d1d1d1d-release");
    // The events role's trust, written before the rule existed, names the rule that was made.
    let (e_trust, _) = role_policies(aws, &e_role.role_name, "start-pipeline").await;
    assert_eq!(
        e_trust["Statement"][0]["Condition"],
        json!({"StringEquals": {"aws:SourceAccount": f.account}, "ArnEquals": {"aws:SourceArn": rule.arn}})
    );
    let live = describe_rule(aws, &rule.name).await;
    assert_eq!(live.arn(), Some(rule.arn.as_str()));
    assert_eq!(live.state(), Some(&RuleState::Enabled));
    let pattern: Value = serde_json::from_str(live.event_pattern().unwrap()).unwrap();
    assert_eq!(
        pattern,
        json!({
            "source": ["aws.s3"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["s3.amazonaws.com"],
                "eventName": ["PutObject", "CompleteMultipartUpload", "CopyObject"],
                "requestParameters": {"bucketName": ["web-d1d1d1d-source"], "key": ["releases/app.zip"]}
            }
        })
    );
    let targets = || async {
        rule_targets(aws, &rule.name)
            .await
            .targets
            .unwrap_or_default()
    };
    let t = targets().await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        (t[0].id(), t[0].arn(), t[0].role_arn()),
        ("pipeline", p.arn.as_str(), Some(e_role.role_arn.as_str()))
    );
    let rule_tags = aws
        .events
        .list_tags_for_resource()
        .resource_arn(&rule.arn)
        .send()
        .await
        .unwrap();
    assert!(
        rule_tags
            .tags()
            .iter()
            .any(|t| t.key() == TAG_FLEET && t.value() == "web-d1d1d1d"),
        "{rule_tags:?}"
    );

    // Someone disables the rule: the next run enables it again, with still one target.
    aws.events
        .disable_rule()
        .name(&rule.name)
        .send()
        .await
        .unwrap();
    assert_eq!(EventRule.apply(&rule_cx, &rule_spec).await.unwrap(), rule);
    let live = describe_rule(aws, &rule.name).await;
    assert_eq!(live.state(), Some(&RuleState::Enabled));
    assert_eq!(targets().await.len(), 1);
    let rules = aws
        .events
        .list_rules()
        .name_prefix("web-d1d1d1d")
        .send()
        .await
        .unwrap();
    assert_eq!(rules.rules().len(), 1, "no second rule");
    assert_eq!(
        EventRule.read(&rule_cx, &rule).await.unwrap(),
        Some(rule.clone())
    );

    EventRule.delete(&rule_cx, &rule).await.unwrap();
    EventRule
        .delete(&rule_cx, &rule)
        .await
        .expect("a second delete is done");
    assert_eq!(EventRule.read(&rule_cx, &rule).await.unwrap(), None);
    EventsRole
        .delete(&f.cx("EventsRole"), &e_role)
        .await
        .unwrap();
    Pipeline.delete(&cx, &p).await.unwrap();
    Pipeline
        .delete(&cx, &p)
        .await
        .expect("a second delete is done");
    assert_eq!(Pipeline.read(&cx, &p).await.unwrap(), None);
    PipelineRole
        .delete(&f.cx("PipelineRole"), &p_role)
        .await
        .unwrap();
    target.delete(&f).await;
    delete_buckets(&f, &source, &artifacts).await;
    f.assert_no_leaks();
}

/// A bucket policy's statement with this Sid.
fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Sid"] == sid))
        .unwrap_or_else(|| panic!("no statement {sid} in {policy}"))
}

#[tokio::test]
async fn the_trail_records_writes_to_exactly_the_release_archive_into_the_artifacts_bucket() {
    let f = Fleet::new("web-d2d2d2d", json!({})).await;
    let (cx, aws) = (f.cx("Trail"), &f.aws);
    let (source, artifacts) = buckets(&f).await;
    let spec = trail::Spec {
        source: source.clone(),
        logs: artifacts.clone(),
        source_key: f.args.source_key.clone(),
    };

    let t = Trail.apply(&cx, &spec).await.expect("create trail");
    let arn = format!(
        "arn:aws:cloudtrail:us-east-1:{}:trail/web-d2d2d2d-trail",
        f.account
    );
    assert_eq!(
        t,
        trail::TrailState {
            name: "web-d2d2d2d-trail".into(),
            arn: arn.clone(),
            bucket: "web-d2d2d2d-artifacts".into(),
        }
    );
    let got = aws
        .cloudtrail
        .get_trail()
        .name(&t.arn)
        .send()
        .await
        .unwrap();
    let live = got.trail().unwrap();
    assert_eq!(
        (
            live.s3_bucket_name(),
            live.s3_key_prefix(),
            live.is_multi_region_trail(),
            live.log_file_validation_enabled()
        ),
        (
            Some("web-d2d2d2d-artifacts"),
            Some("cloudtrail"),
            Some(false),
            Some(true)
        )
    );
    let is_logging = || async { trail_status(aws, &arn).await.is_logging() };
    assert_eq!(is_logging().await, Some(true));

    let sel = aws
        .cloudtrail
        .get_event_selectors()
        .trail_name(&t.arn)
        .send()
        .await
        .unwrap();
    assert!(sel.event_selectors().is_empty(), "{sel:?}");
    assert_eq!(sel.advanced_event_selectors().len(), 1, "{sel:?}");
    let fields: BTreeMap<&str, Vec<String>> = sel.advanced_event_selectors()[0]
        .field_selectors()
        .iter()
        .map(|s| (s.field(), s.equals().to_vec()))
        .collect();
    assert_eq!(
        fields,
        BTreeMap::from([
            ("eventCategory", vec!["Data".to_string()]),
            ("readOnly", vec!["false".to_string()]),
            (
                "resources.ARN",
                vec!["arn:aws:s3:::web-d2d2d2d-source/source.zip".to_string()]
            ),
            ("resources.type", vec!["AWS::S3::Object".to_string()]),
        ])
    );
    let tags = aws
        .cloudtrail
        .list_tags()
        .resource_id_list(&t.arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.resource_tag_list()
            .iter()
            .flat_map(|r| r.tags_list())
            .any(|t| t.key() == TAG_FLEET && t.value() == Some("web-d2d2d2d")),
        "{tags:?}"
    );

    // CloudTrail may write its logs, only this trail, only under cloudtrail/; TLS is still required.
    let policy = aws
        .s3
        .get_bucket_policy()
        .bucket(&artifacts.name)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let acl = statement(&policy, "CloudTrailAclCheck");
    assert_eq!(
        (
            &acl["Principal"]["Service"],
            &acl["Action"],
            &acl["Resource"]
        ),
        (
            &json!("cloudtrail.amazonaws.com"),
            &json!("s3:GetBucketAcl"),
            &json!("arn:aws:s3:::web-d2d2d2d-artifacts")
        )
    );
    assert_eq!(
        acl["Condition"]["StringEquals"]["aws:SourceArn"],
        json!(arn)
    );
    let write = statement(&policy, "CloudTrailWrite");
    assert_eq!(
        (&write["Action"], &write["Resource"]),
        (
            &json!("s3:PutObject"),
            &json!(format!(
                "arn:aws:s3:::web-d2d2d2d-artifacts/cloudtrail/AWSLogs/{}/*",
                f.account
            ))
        )
    );
    assert_eq!(
        write["Condition"]["StringEquals"],
        json!({"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": arn})
    );
    assert_eq!(statement(&policy, "TlsOnly")["Effect"], "Deny");
    let insecure = aws
        .s3
        .put_object()
        .bucket(&artifacts.name)
        .key("probe.txt")
        .body(ByteStream::from_static(b"x"))
        .customize()
        .mutate_request(|req| {
            req.headers_mut()
                .insert("x-ec2fleet-insecure-transport", "1");
        })
        .send()
        .await;
    let err = insecure.expect_err("a request without TLS is denied");
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("AccessDenied"),
        "{err:?}"
    );

    // Someone stops the trail: the next run starts it again, without making a second one.
    aws.cloudtrail
        .stop_logging()
        .name(&t.arn)
        .send()
        .await
        .unwrap();
    assert_eq!(Trail.read(&cx, &t).await.unwrap(), Some(t.clone()));
    assert_eq!(is_logging().await, Some(false));
    assert_eq!(
        Trail.apply(&cx, &spec).await.unwrap(),
        t,
        "adopted on a second run"
    );
    assert_eq!(is_logging().await, Some(true));
    let trails = aws.cloudtrail.describe_trails().send().await.unwrap();
    assert_eq!(trails.trail_list().len(), 1, "no second trail");

    Trail.delete(&cx, &t).await.unwrap();
    Trail
        .delete(&cx, &t)
        .await
        .expect("a second delete is done");
    assert_eq!(Trail.read(&cx, &t).await.unwrap(), None);
    delete_buckets(&f, &source, &artifacts).await;
    f.assert_no_leaks();
}

/// Stand-ins for references a refused create never gets to use.
fn bucket_named(name: &str) -> BucketState {
    BucketState {
        name: name.into(),
        versioned: true,
    }
}

fn role_named(name: &str) -> RoleState {
    RoleState {
        role_name: name.into(),
        role_arn: format!("arn:aws:iam::123456789012:role/{name}"),
    }
}

fn assert_refused(err: ec2fleet::aws::Error, name: &str, prefix: &str) {
    let text = err.to_string();
    assert!(
        text.contains(name) && text.contains(&format!("does not belong to fleet {prefix}")),
        "{text}"
    );
}

#[tokio::test]
async fn a_pipeline_with_the_fleets_name_but_not_its_tag_is_refused_and_left_alone() {
    let f = Fleet::new("web-d3d3d3d", json!({})).await;
    let (cx, role_cx, aws) = (f.cx("Pipeline"), f.cx("PipelineRole"), &f.aws);
    let role_spec = pipeline_role::Spec {
        source: "x".into(),
        artifacts: "y".into(),
        application: "someone-app".into(),
        group: "someone-dg".into(),
        deployment_config: f.args.deployment_config.clone(),
    };
    let role = PipelineRole.apply(&role_cx, &role_spec).await.unwrap();
    let spec = pipeline::Spec {
        role: role.clone(),
        source: bucket_named("x"),
        artifacts: bucket_named("y"),
        group: DeploymentGroupState {
            application: "someone-app".into(),
            name: "someone-dg".into(),
        },
        source_key: f.args.source_key.clone(),
    };
    // Someone's own pipeline, made from the fleet's declaration but without the fleet's tags.
    let mine = Pipeline.apply(&cx, &spec).await.unwrap();
    let decl = get_pipeline(aws, &mine.name).await.pipeline.unwrap();
    Pipeline.delete(&cx, &mine).await.unwrap();
    aws.codepipeline
        .create_pipeline()
        .pipeline(decl)
        .send()
        .await
        .unwrap();

    let err = Pipeline
        .apply(&cx, &spec)
        .await
        .expect_err("must not adopt a foreign pipeline");
    assert_refused(err, "web-d3d3d3d-pipeline", "web-d3d3d3d");
    let got = get_pipeline(aws, "web-d3d3d3d-pipeline").await;
    assert_eq!(got.pipeline().unwrap().version(), Some(1), "not updated");

    aws.codepipeline
        .delete_pipeline()
        .name("web-d3d3d3d-pipeline")
        .send()
        .await
        .unwrap();
    PipelineRole.delete(&role_cx, &role).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_trail_with_the_fleets_name_but_not_its_tag_is_refused_and_left_alone() {
    let f = Fleet::new("web-d4d4d4d", json!({})).await;
    let (cx, aws) = (f.cx("Trail"), &f.aws);
    let theirs = "someone-elses-logs";
    aws.s3.create_bucket().bucket(theirs).send().await.unwrap();
    aws.cloudtrail
        .create_trail()
        .name("web-d4d4d4d-trail")
        .s3_bucket_name(theirs)
        .send()
        .await
        .unwrap();

    let spec = trail::Spec {
        source: bucket_named("web-d4d4d4d-source"),
        logs: bucket_named(theirs),
        source_key: f.args.source_key.clone(),
    };
    let err = Trail
        .apply(&cx, &spec)
        .await
        .expect_err("must not adopt a foreign trail");
    assert_refused(err, "web-d4d4d4d-trail", "web-d4d4d4d");
    let status = trail_status(aws, "web-d4d4d4d-trail").await;
    assert_eq!(status.is_logging(), Some(false), "not started");
    let policy = aws.s3.get_bucket_policy().bucket(theirs).send().await;
    assert!(policy.is_err(), "their bucket's policy is untouched");

    aws.cloudtrail
        .delete_trail()
        .name("web-d4d4d4d-trail")
        .send()
        .await
        .unwrap();
    aws.s3.delete_bucket().bucket(theirs).send().await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_rule_with_the_fleets_name_but_not_its_tag_is_refused_and_left_alone() {
    let f = Fleet::new("web-d5d5d5d", json!({})).await;
    let (cx, aws) = (f.cx("EventRule"), &f.aws);
    let theirs = r#"{"source":["someone.app"]}"#;
    aws.events
        .put_rule()
        .name("web-d5d5d5d-release")
        .event_pattern(theirs)
        .send()
        .await
        .unwrap();

    let spec = event_rule::Spec {
        source: bucket_named("web-d5d5d5d-source"),
        pipeline: PipelineState {
            name: "web-d5d5d5d-pipeline".into(),
            arn: "arn:aws:codepipeline:us-east-1:123456789012:web-d5d5d5d-pipeline".into(),
        },
        role: role_named("web-d5d5d5d-events"),
        source_key: f.args.source_key.clone(),
    };
    let err = EventRule
        .apply(&cx, &spec)
        .await
        .expect_err("must not adopt a foreign rule");
    assert_refused(err, "web-d5d5d5d-release", "web-d5d5d5d");
    let live = describe_rule(aws, "web-d5d5d5d-release").await;
    assert_eq!(live.event_pattern(), Some(theirs), "not replaced");
    let t = rule_targets(aws, "web-d5d5d5d-release").await;
    assert!(t.targets().is_empty(), "no target added: {t:?}");

    aws.events
        .delete_rule()
        .name("web-d5d5d5d-release")
        .send()
        .await
        .unwrap();
    f.assert_no_leaks();
}
