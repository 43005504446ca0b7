//! Partial failure and crash safety of the whole fleet against the AWS emulator: a failure injected
//! at each node in turn stops the create with the state of everything made so far; resuming from
//! that state makes only what is missing; deleting leaves nothing. And a create whose response was
//! lost, run again, adopts what exists instead of duplicating it.
//!
//! The emulator's fault profile is global, so this binary has its own emulator and every fleet its
//! own account, named in its fault rule.

mod support;

use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::Records;
use ec2fleet::fleet::{plan, Node};
use futures::future::join_all;
use serde_json::json;
use support::stacks;
use support::{never_cancelled, quiet};

/// The call that makes each node (the n-th call of it in a fresh account), and the nodes a fault
/// there may hit (calls made by several nodes in parallel hit whichever comes first).
const FAULTS: &[(&str, u32, &[Node])] = &[
    ("ssm:GetParameter", 1, &[Node::Ami]),
    ("ec2:CreateVpc", 1, &[Node::Vpc]),
    ("ec2:CreateSubnet", 2, &[Node::Subnets]),
    ("ec2:CreateInternetGateway", 1, &[Node::InternetGateway]),
    ("ec2:CreateRouteTable", 1, &[Node::RouteTable]),
    (
        "ec2:CreateSecurityGroup",
        1,
        &[Node::LoadBalancerSecurityGroup],
    ),
    ("ec2:CreateSecurityGroup", 2, &[Node::InstanceSecurityGroup]),
    (
        "s3:CreateBucket",
        1,
        &[Node::AssetBucket, Node::SourceBucket, Node::ArtifactBucket],
    ),
    ("cloudtrail:CreateTrail", 1, &[Node::Trail]),
    ("logs:CreateLogGroup", 1, &[Node::LogGroup]),
    (
        "iam:CreateRole",
        1,
        &[Node::InstanceRole, Node::CodeDeployRole, Node::PipelineRole],
    ),
    ("iam:CreateInstanceProfile", 1, &[Node::InstanceProfile]),
    ("ec2:CreateLaunchTemplate", 1, &[Node::LaunchTemplate]),
    ("elbv2:CreateLoadBalancer", 1, &[Node::LoadBalancer]),
    ("elbv2:CreateTargetGroup", 1, &[Node::TargetGroup]),
    ("elbv2:CreateListener", 1, &[Node::Listeners]),
    (
        "autoscaling:CreateAutoScalingGroup",
        1,
        &[Node::AutoScalingGroup],
    ),
    (
        "autoscaling:PutScheduledUpdateGroupAction",
        1,
        &[Node::ScheduledActions],
    ),
    (
        "codedeploy:CreateApplication",
        1,
        &[Node::CodeDeployApplication],
    ),
    (
        "codedeploy:CreateDeploymentGroup",
        1,
        &[Node::DeploymentGroup],
    ),
    ("codepipeline:CreatePipeline", 1, &[Node::Pipeline]),
    (
        "iam:PutRolePolicy",
        1,
        &[Node::InstanceRole, Node::PipelineRole, Node::EventsRole],
    ),
    ("events:PutRule", 1, &[Node::EventRule]),
    ("cloudfront:CreateCachePolicy", 1, &[Node::CachePolicy]),
    (
        "cloudfront:CreateDistributionWithTags",
        1,
        &[Node::Distribution],
    ),
    ("route53:ChangeResourceRecordSets", 1, &[Node::DnsRecord]),
];

/// One fleet: create with the fault, check the partial state, resume, check, delete, check leaks.
async fn fail_resume_delete(account: String, fault: usize) {
    let (op, _, may_fail) = FAULTS[fault];
    let (f, zone_id) = stacks::fleet_with_zone(
        &account,
        // Bucket names are global across accounts, so every fleet has its own prefix.
        &format!("web-fa{fault:02}"),
        "shop.example.com",
    )
    .await;
    let cx = f.fleet(None);
    let rx = never_cancelled();

    let inc = apply(
        &f.fleet(Some("s3cr3t")),
        Records::default(),
        true,
        rx.clone(),
        &quiet,
    )
    .await
    .expect_err(&format!("{op}: the injected fault must stop the create"));
    assert_eq!(inc.failed.len(), 1, "{op}: {:?}", inc.failed);
    let (node, err) = &inc.failed[0];
    assert!(may_fail.contains(node), "{op} failed {node}");
    assert!(err.to_string().contains("InjectedFault"), "{op}: {err}");
    // The partial state records exactly what exists: not the failed node, and no dependent of it.
    let made = inc.records.all();
    assert!(!made.contains_key(node), "{op}: {node} is recorded");
    for (n, deps) in plan::graph(&f.args) {
        if made.contains_key(&n) {
            assert!(
                deps.iter().all(|d| made.contains_key(d)),
                "{op}: {n} without its dependencies"
            );
        }
    }
    let before = support::emulator().calls(&account).len();

    // Resume from the partial state: only the missing nodes run.
    let records = apply(
        &f.fleet(Some("s3cr3t")),
        inc.records.clone(),
        true,
        rx.clone(),
        &quiet,
    )
    .await
    .unwrap_or_else(|e| panic!("{op}: resume failed: {:?}", e.failed));
    let planned: Vec<Node> = plan::graph(&f.args).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        records.all().len(),
        planned.len(),
        "{op}: resumed fleet is complete"
    );
    for (n, m) in inc.records.all() {
        assert_eq!(records.all()[&n], m, "{op}: {n} was remade on resume");
    }
    let resumed = support::emulator()
        .calls(&account)
        .into_iter()
        .skip(before)
        .filter(|c| c["operation"] == "CreateVpc")
        .count();
    let had_vpc = made.contains_key(&Node::Vpc);
    assert_eq!(
        resumed,
        usize::from(!had_vpc),
        "{op}: VPC made again on resume"
    );

    destroy(&cx, &records, rx, &quiet).await.expect("delete");
    stacks::delete_hosted_zone(&f.aws, &zone_id).await;
    f.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_at_any_node_leaves_a_resumable_state_and_nothing_leaks() {
    let accounts: Vec<String> = FAULTS.iter().map(|_| support::fresh_account()).collect();
    let faults: Vec<_> = FAULTS
        .iter()
        .zip(&accounts)
        .map(|((op, nth, _), account)| {
            json!({"operation": op, "nth": [nth], "account": account, "kind": "error",
                   "code": "InjectedFault", "message": "injected by the test", "status": 400})
        })
        .collect();
    support::emulator().control_post("/profile", json!({"faults": faults}));
    join_all(
        accounts
            .into_iter()
            .enumerate()
            .map(|(i, a)| fail_resume_delete(a, i)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_run_again_after_a_lost_response_adopts_everything_and_duplicates_nothing() {
    let f = support::Fleet::new("web-1057", json!({"cdn": {"enabled": false}})).await;
    let cx = f.fleet(None);
    let rx = never_cancelled();
    let first = apply(&cx, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create");
    // The engine never heard of `first`: the next create starts from nothing.
    let second = apply(&cx, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create again");
    assert_eq!(second, first);
    let vpcs = f.aws.ec2.describe_vpcs().send().await.unwrap();
    let ours = vpcs
        .vpcs()
        .iter()
        .filter(|v| {
            v.tags()
                .iter()
                .any(|t| t.value() == Some(f.prefix.as_str()))
        })
        .count();
    assert_eq!(ours, 1);
    let lbs = f.aws.elbv2.describe_load_balancers().send().await.unwrap();
    assert_eq!(lbs.load_balancers().len(), 1);
    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}
