//! Load-balancing sub-resources against the AWS emulator.

mod support;

use std::time::Duration;

use ec2fleet::aws::ErrorClass;
use ec2fleet::resources::lb::{load_balancer, target_group};
use ec2fleet::resources::network::{
    internet_gateway, load_balancer_security_group, route_table, security_group, subnets, vpc,
};

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

#[tokio::test]
async fn the_load_balancer_is_public_in_every_subnet_and_its_deletion_frees_the_network() {
    let f = support::Fleet::new("web-ab1ab1a", serde_json::json!({})).await;
    let cx = f.cx();
    let net = vpc::create(&cx).await.unwrap();
    let subs = subnets::create(&cx, &net).await.unwrap();
    let igw = internet_gateway::create(&cx, &net).await.unwrap();
    let rt = route_table::create(&cx, &net, &igw, &subs).await.unwrap();
    let sg = load_balancer_security_group::create(&cx, &net)
        .await
        .unwrap();

    let lb = load_balancer::create(&cx, &subs, &sg)
        .await
        .expect("create");
    assert!(
        !lb.dns_name.is_empty(),
        "the DNS name is known at once, for the CDN"
    );
    let d = f
        .aws
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb.arn)
        .send()
        .await
        .unwrap();
    let got = &d.load_balancers()[0];
    assert_eq!(got.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(got.availability_zones().len(), 3);
    assert_eq!(got.security_groups(), std::slice::from_ref(&sg.group_id));
    let attrs = f
        .aws
        .elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(&lb.arn)
        .send()
        .await
        .unwrap();
    let drop = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("routing.http.drop_invalid_header_fields.enabled"))
        .and_then(|a| a.value());
    assert_eq!(drop, Some("true"));
    assert_eq!(
        load_balancer::create(&cx, &subs, &sg).await.unwrap(),
        lb,
        "adopted on a second run"
    );

    let early = subnets::delete(&cx, &subs)
        .await
        .expect_err("subnets cannot go while the load balancer is in them");
    assert_eq!(early.class, ErrorClass::DependencyViolation, "{early}");

    load_balancer::delete(&cx, &lb, Duration::from_secs(30))
        .await
        .unwrap();
    load_balancer::delete(&cx, &lb, Duration::from_secs(30))
        .await
        .expect("a second delete is done");
    security_group::delete(&cx, &sg).await.unwrap();
    route_table::delete(&cx, &rt).await.unwrap();
    internet_gateway::delete(&cx, &igw).await.unwrap();
    subnets::delete(&cx, &subs).await.unwrap();
    vpc::delete(&cx, &net).await.unwrap();
    f.assert_no_leaks();
}
