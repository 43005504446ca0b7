//! The waits of a whole fleet against an emulator that makes AWS slow to be ready (load balancer
//! provisioning, IAM profile propagation, targets and instances starting, CloudFront deploying,
//! Route 53 propagating): create still converges, each wait is reported, the slow waits overlap, and
//! delete waits for the distribution to disable and for nothing AWS does not require. This binary owns its emulator's profile.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ec2fleet::aws::Waits;
use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::ready;
use ec2fleet::fleet::Records;
use serde_json::json;
use support::stacks;
use support::{never_cancelled, quiet};

/// The slow profile every test of this binary sets (they share the emulator).
fn slow_profile() {
    support::emulator().control_post(
        "/profile",
        json!({"readiness": {
            "elbv2.load_balancer": 2, "iam.instance_profile": 2, "elbv2.target": 8,
            "autoscaling.instance": 2, "cloudfront.distribution": 3, "route53.change": 2
        }}),
    );
}

/// Waits that keep every progress line.
fn recording() -> (Waits, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let waits = Waits::new(
        Duration::from_secs(300),
        Arc::new(move |l| sink.lock().unwrap().push(l)),
    );
    (waits, lines)
}

/// Panics unless one of the progress lines `said` starts with `want`.
fn assert_said(said: &[String], want: &str) {
    assert!(
        said.iter().any(|l| l.starts_with(want)),
        "no {want:?} among {said:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_readiness_is_waited_for_and_reported_then_delete_waits_for_the_distribution() {
    slow_profile();
    let account = support::fresh_account();
    let (mut f, zone_id) = stacks::fleet_with_zone(&account, "web-5107", "slow.example.com").await;
    let lines;
    (f.waits, lines) = recording();
    let cx = f.fleet(Some("s3cr3t"));
    let rx = never_cancelled();
    let since = support::last_seq(&f.account);
    let records = apply(&cx, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create converges despite slow readiness");
    ready::wait(&cx, &records).await.expect("the fleet serves");
    let ops = support::calls_since(&f.account, since);
    let at = |ops: &[String], op: &str| {
        ops.iter()
            .position(|o| o == op)
            .unwrap_or_else(|| panic!("no {op} in {ops:?}"))
    };
    let last_poll = ops
        .iter()
        .rposition(|o| o == "cloudfront:GetDistribution")
        .unwrap();
    assert!(
        at(&ops, "route53:ChangeResourceRecordSets") < last_poll,
        "the record is made while the distribution deploys: {ops:?}"
    );
    let said = lines.lock().unwrap().clone();
    let dist = &records.distribution.as_ref().unwrap().id;
    for want in [
        format!("waiting for CloudFront distribution {dist} to deploy"),
        "waiting for Route 53 record slow.example.com. to propagate".to_string(),
        "waiting for IAM changes to reach AWS before".to_string(),
        // Targets take longer than the whole graph here: the serving check waits for them.
        "waiting for 3 healthy target(s)".to_string(),
    ] {
        assert_said(&said, &want);
    }

    lines.lock().unwrap().clear();
    let since = support::last_seq(&f.account);
    destroy(&cx, &records, rx, &quiet).await.expect("delete");
    let ops = support::calls_since(&f.account, since);
    let unrecorded = at(&ops, "route53:ChangeResourceRecordSets");
    assert!(
        !ops[unrecorded..].iter().any(|o| o == "route53:GetChange"),
        "nothing waits for the deleted record to propagate: {ops:?}"
    );
    assert!(
        at(&ops, "elbv2:DeleteLoadBalancer") < at(&ops, "cloudfront:DeleteDistribution"),
        "the load balancer goes while the distribution disables: {ops:?}"
    );
    let said = lines.lock().unwrap().clone();
    assert_said(
        &said,
        &format!("waiting for CloudFront distribution {dist} to be disabled"),
    );
    stacks::delete_hosted_zone(&f.aws, &zone_id).await;
    f.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_instance_type_waits_for_the_instance_refresh_and_says_so() {
    slow_profile();
    let f = support::Fleet::new("web-5108", json!({"cdn": {"enabled": false}})).await;
    let rx = never_cancelled();
    let first = f.fleet(None);
    let made = apply(&first, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create");
    ready::wait(&first, &made).await.expect("the fleet serves");

    let bigger = json!({"cdn": {"enabled": false}, "instanceType": "t3.large"});
    let mut changed = support::Fleet::in_account(&f.account, &f.prefix, bigger).await;
    let lines;
    (changed.waits, lines) = recording();
    let cx = changed.fleet(None);
    let records = apply(&cx, made, false, rx.clone(), &quiet)
        .await
        .expect("update");
    ready::wait(&cx, &records)
        .await
        .expect("the fleet serves again");
    let said = lines.lock().unwrap().clone();
    let group = &records.auto_scaling_group.as_ref().unwrap().name;
    let want = format!("waiting for 3 instance(s) of group {group} to be replaced");
    assert_said(&said, &want);
    // The new instances' targets are waited for too.
    assert_said(&said, "waiting for 3 healthy target(s)");

    destroy(&cx, &records, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}
