//! Load-balancing sub-resources against the AWS emulator.

mod support;

use ec2fleet::resources::lb::target_group;
use ec2fleet::resources::network::vpc;

#[tokio::test]
async fn the_target_group_forwards_to_the_app_port_with_the_seeds_health_check_and_drain_time() {
    let f = support::Fleet::new(
        "web-f0f0f0f",
        serde_json::json!({"healthCheck": {"path": "/health"}}),
    )
    .await;
    let cx = f.cx();
    let net = vpc::create(&cx).await.unwrap();
    let tg = target_group::create(&cx, &net).await.expect("create");
    assert_eq!(tg.name, "web-f0f0f0f-tg");
    let d = f
        .aws
        .elbv2
        .describe_target_groups()
        .target_group_arns(&tg.arn)
        .send()
        .await
        .unwrap();
    let g = &d.target_groups()[0];
    assert_eq!(
        (
            g.port(),
            g.health_check_path(),
            g.health_check_interval_seconds(),
            g.healthy_threshold_count()
        ),
        (Some(3000), Some("/health"), Some(10), Some(2))
    );
    let attrs = f
        .aws
        .elbv2
        .describe_target_group_attributes()
        .target_group_arn(&tg.arn)
        .send()
        .await
        .unwrap();
    let delay = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value());
    assert_eq!(delay, Some("10"));
    assert_eq!(
        target_group::create(&cx, &net).await.unwrap(),
        tg,
        "adopted on a second run"
    );
    target_group::delete(&cx, &tg).await.unwrap();
    target_group::delete(&cx, &tg)
        .await
        .expect("a second delete is done");
    vpc::delete(&cx, &net).await.unwrap();
    f.assert_no_leaks();
}
