//! Updating a fleet in place against the AWS emulator: new inputs re-reconcile every sub-resource, and
//! each brings its object to the new settings instead of keeping the old ones.

mod support;

use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::plan::Node;
use ec2fleet::fleet::state::Records;
use serde_json::json;
use tokio::sync::watch;

fn quiet(_: Node, _: usize, _: usize) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_inputs_reach_the_template_group_health_check_listeners_and_schedule() {
    let f = support::Fleet::new("web-0bda7e", json!({"cdn": {"enabled": false}})).await;
    let (_tx, rx) = watch::channel(false);
    let first = apply(&f.cx(), None, Records::default(), true, rx.clone(), &quiet)
        .await
        .expect("create");

    let changed = support::Fleet::in_account(
        &f.account,
        &f.prefix,
        json!({
            "cdn": {"enabled": false},
            "instanceType": "t3.large",
            "listenerPort": 8080,
            "minCapacity": 2,
            "healthCheck": {"path": "/healthz"},
            "scheduledActions": [],
        }),
    )
    .await;
    let cx = changed.cx();
    let second = apply(&cx, None, first.clone(), false, rx.clone(), &quiet)
        .await
        .expect("update");

    // The same objects, brought up to date.
    assert_eq!(second.vpc, first.vpc);
    assert_eq!(second.load_balancer, first.load_balancer);
    let lt = second.launch_template.as_ref().unwrap();
    assert!(lt.version > first.launch_template.as_ref().unwrap().version);
    let versions = f
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt.launch_template_id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let default = &versions.launch_template_versions()[0];
    assert_eq!(default.version_number(), Some(lt.version));
    assert_eq!(
        default
            .launch_template_data()
            .and_then(|d| d.instance_type())
            .map(|t| t.as_str()),
        Some("t3.large")
    );

    let group = &second.auto_scaling_group.as_ref().unwrap().name;
    let asg = f
        .aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap();
    let g = &asg.auto_scaling_groups()[0];
    assert_eq!(g.min_size(), Some(2));
    assert_eq!(
        g.launch_template().and_then(|t| t.version()),
        Some(lt.version.to_string().as_str())
    );
    let actions = f
        .aws
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(group)
        .send()
        .await
        .unwrap();
    assert!(actions.scheduled_update_group_actions().is_empty());

    let tg = f
        .aws
        .elbv2
        .describe_target_groups()
        .target_group_arns(&second.target_group.as_ref().unwrap().arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tg.target_groups()[0].health_check_path(), Some("/healthz"));

    let listeners = f
        .aws
        .elbv2
        .describe_listeners()
        .load_balancer_arn(&second.load_balancer.as_ref().unwrap().arn)
        .send()
        .await
        .unwrap();
    let ports: Vec<_> = listeners.listeners().iter().map(|l| l.port()).collect();
    assert_eq!(ports, [Some(8080)], "the old port-80 listener is gone");

    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}
