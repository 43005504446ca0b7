//! Load-balancing sub-resources against the AWS emulator.

mod support;

use aws_sdk_elasticloadbalancingv2::operation::describe_listeners::DescribeListenersOutput;
use aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesOutput;
use ec2fleet::aws::ErrorClass;
use ec2fleet::resources::lb::listeners::{self, Listeners};
use ec2fleet::resources::lb::load_balancer::{self, LoadBalancer};
use ec2fleet::resources::lb::target_group::{self, TargetGroup};
use ec2fleet::resources::network::subnets::Subnets;
use ec2fleet::resources::network::vpc::Vpc;
use ec2fleet::resources::Reconciler;
use support::stacks;

/// The listeners' spec on `s`, from the fleet's inputs, with the CDN's secret if any.
fn listeners_spec(
    f: &support::Fleet,
    s: &stacks::Balanced,
    secret: Option<&str>,
) -> listeners::Spec {
    listeners::Spec {
        load_balancer: s.lb.clone(),
        target_group: s.tg.clone(),
        port: f.args.listener_port,
        certificate_arn: f.args.certificate_arn.clone(),
        origin_secret: secret.map(str::to_string),
    }
}

#[tokio::test]
async fn the_target_group_forwards_to_the_app_port_with_the_seeds_health_check_and_drain_time() {
    let f = support::Fleet::new(
        "web-f0f0f0f",
        serde_json::json!({"healthCheck": {"path": "/health"}}),
    )
    .await;
    let (cx, vpc_cx) = (f.cx("TargetGroup"), f.cx("Vpc"));
    let net = Vpc.apply(&vpc_cx, &stacks::vpc_spec(&f)).await.unwrap();
    // The health check path comes from the inputs, the rest from their defaults.
    let spec = target_group::Spec {
        vpc: net.clone(),
        port: f.args.app_port,
        health_check: f.args.health_check.clone(),
        deregistration_delay_seconds: f.args.deregistration_delay_seconds,
    };
    let tg = TargetGroup.apply(&cx, &spec).await.expect("create");
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
    let delay = support::drain_time(&f.aws, &tg.arn).await;
    assert_eq!(delay.as_deref(), Some("10"));
    assert_eq!(
        TargetGroup.apply(&cx, &spec).await.unwrap(),
        tg,
        "adopted on a second run"
    );
    TargetGroup.delete(&cx, &tg).await.unwrap();
    TargetGroup
        .delete(&cx, &tg)
        .await
        .expect("a second delete is done");
    Vpc.delete(&vpc_cx, &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_load_balancer_is_public_in_every_subnet_and_its_deletion_frees_the_network() {
    let f = support::Fleet::new("web-ab1ab1a", serde_json::json!({})).await;
    let cx = f.cx("LoadBalancer");
    let network = stacks::Network::create(&f).await;
    let (subs, sg) = (&network.subs, &network.lb_sg);
    let spec = load_balancer::Spec {
        subnets: subs.clone(),
        security_group: sg.clone(),
    };

    let lb = LoadBalancer.apply(&cx, &spec).await.expect("create");
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
        LoadBalancer.apply(&cx, &spec).await.unwrap(),
        lb,
        "adopted on a second run"
    );

    let early = Subnets
        .delete(&f.cx("Subnets"), subs)
        .await
        .expect_err("subnets cannot go while the load balancer is in them");
    assert_eq!(early.class(), ErrorClass::DependencyViolation, "{early}");

    LoadBalancer.delete(&cx, &lb).await.unwrap();
    LoadBalancer
        .delete(&cx, &lb)
        .await
        .expect("a second delete is done");
    network.delete(&f).await;
    f.assert_no_leaks();
}

/// The listener `arn`, as AWS describes it.
async fn describe_listener(f: &support::Fleet, arn: &str) -> DescribeListenersOutput {
    f.aws
        .elbv2
        .describe_listeners()
        .listener_arns(arn)
        .send()
        .await
        .unwrap()
}

/// The rules of the listener `arn`.
async fn listener_rules(f: &support::Fleet, arn: &str) -> DescribeRulesOutput {
    f.aws
        .elbv2
        .describe_rules()
        .listener_arn(arn)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_the_cdn_only_requests_with_the_secret_header_reach_the_targets() {
    let f = support::Fleet::new("web-cd1cd1c", serde_json::json!({})).await;
    let cx = f.cx("Listeners");
    let s = stacks::Balanced::create(&f).await;
    let spec = listeners_spec(&f, &s, Some("s3cr3t"));
    let l = Listeners.apply(&cx, &spec).await.expect("create");
    assert_eq!(l.listener_arns.len(), 1);
    let (port, arn) = &l.listener_arns[0];
    assert_eq!(*port, 80);
    let got = describe_listener(&f, arn).await;
    let default = &got.listeners()[0].default_actions()[0];
    assert_eq!(
        default
            .fixed_response_config()
            .and_then(|c| c.status_code()),
        Some("403"),
        "direct access is refused"
    );
    let rules = listener_rules(&f, arn).await;
    let rule = rules
        .rules()
        .iter()
        .find(|r| r.priority() == Some("1"))
        .expect("the header rule");
    let header = rule.conditions()[0].http_header_config().unwrap();
    assert_eq!(
        (header.http_header_name(), header.values()),
        (Some(listeners::ORIGIN_HEADER), &["s3cr3t".to_string()][..])
    );
    assert_eq!(
        rule.actions()[0].target_group_arn(),
        Some(s.tg.arn.as_str())
    );
    assert_eq!(
        Listeners.apply(&cx, &spec).await.unwrap(),
        l,
        "a second run updates in place"
    );
    Listeners.delete(&cx, &l).await.unwrap();
    s.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn with_a_certificate_http_redirects_to_https_and_without_a_cdn_traffic_is_forwarded() {
    let (f, cert) = stacks::fleet_with_certificate(
        "web-ce1ce1c",
        "app.example.com",
        |cert| serde_json::json!({"certificateArn": cert, "cdn": {"enabled": false}}),
    )
    .await;
    let cx = f.cx("Listeners");
    let s = stacks::Balanced::create(&f).await;
    let l = Listeners
        .apply(&cx, &listeners_spec(&f, &s, None))
        .await
        .expect("create");
    let ports: Vec<u16> = l.listener_arns.iter().map(|(p, _)| *p).collect();
    assert_eq!(ports, vec![80, 443]);
    let all = f
        .aws
        .elbv2
        .describe_listeners()
        .load_balancer_arn(&s.lb.arn)
        .send()
        .await
        .unwrap();
    let by_port = |p: i32| {
        all.listeners()
            .iter()
            .find(|l| l.port() == Some(p))
            .unwrap()
    };
    let redirect = by_port(80).default_actions()[0]
        .redirect_config()
        .expect("HTTP redirects");
    assert_eq!(
        (redirect.protocol(), redirect.port()),
        (Some("HTTPS"), Some("443"))
    );
    assert_eq!(
        by_port(443).default_actions()[0].target_group_arn(),
        Some(s.tg.arn.as_str())
    );
    assert_eq!(
        by_port(443).certificates()[0].certificate_arn(),
        Some(cert.as_str())
    );
    assert_eq!(
        by_port(443).ssl_policy(),
        Some(listeners::TLS_POLICY),
        "TLS 1.2 and 1.3 only, not the default policy that still takes TLS 1.0"
    );

    // A renewed certificate replaces the listener's, in place.
    let renewed = stacks::certificate(&f.account, "app.example.com");
    let mut spec = listeners_spec(&f, &s, None);
    spec.certificate_arn = Some(renewed.clone());
    let again = Listeners.apply(&cx, &spec).await.expect("update");
    assert_eq!(again, l, "the same listeners");
    let https = describe_listener(&f, &l.listener_arns[1].1).await;
    let https = &https.listeners()[0];
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(renewed.as_str())
    );
    assert_eq!(https.ssl_policy(), Some(listeners::TLS_POLICY));
    Listeners.delete(&cx, &l).await.unwrap();
    s.delete(&f).await;
    stacks::delete_certificate(&f.account, &cert);
    stacks::delete_certificate(&f.account, &renewed);
    f.assert_no_leaks();
}

#[tokio::test]
async fn with_a_certificate_and_the_cdn_http_serves_cloudfront_instead_of_redirecting_it() {
    let (f, cert) = stacks::fleet_with_certificate(
        "web-ce2ce2c",
        "app.example.com",
        |cert| serde_json::json!({"certificateArn": cert}),
    )
    .await;
    let cx = f.cx("Listeners");
    let s = stacks::Balanced::create(&f).await;
    let l = Listeners
        .apply(&cx, &listeners_spec(&f, &s, Some("s3cr3t")))
        .await
        .expect("create");
    // CloudFront's origin is http-only: a redirect on port 80 would send viewers to the ALB itself.
    for (port, arn) in &l.listener_arns {
        let got = describe_listener(&f, arn).await;
        let default = &got.listeners()[0].default_actions()[0];
        assert!(default.redirect_config().is_none(), "port {port} redirects");
        assert_eq!(
            default
                .fixed_response_config()
                .and_then(|c| c.status_code()),
            Some("403"),
            "port {port} refuses requests without the header"
        );
        let rules = listener_rules(&f, arn).await;
        let guarded = rules.rules().iter().any(|r| {
            r.priority() == Some("1") && r.actions()[0].target_group_arn() == Some(&s.tg.arn)
        });
        assert!(guarded, "port {port} forwards CloudFront's requests");
    }
    // CloudFront connects on the HTTP port only; AWS counts each reference to its prefix list as
    // 55 of the group's 60 rules, so a second one (for 443) would not fit.
    let group = f
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(&s.network.lb_sg.group_id)
        .send()
        .await
        .unwrap();
    let rules: Vec<(Option<i32>, usize)> = group.security_groups()[0]
        .ip_permissions()
        .iter()
        .map(|r| (r.from_port(), r.prefix_list_ids().len()))
        .collect();
    assert_eq!(rules, [(Some(80), 1)], "one prefix-list rule, on port 80");
    Listeners.delete(&cx, &l).await.unwrap();
    s.delete(&f).await;
    stacks::delete_certificate(&f.account, &cert);
    f.assert_no_leaks();
}

#[tokio::test]
async fn turning_the_cdn_off_opens_the_listener_and_on_again_guards_it() {
    let f = support::Fleet::new("web-0ff0ff0", serde_json::json!({})).await;
    let cx = f.cx("Listeners");
    let s = stacks::Balanced::create(&f).await;
    let guarded = Listeners
        .apply(&cx, &listeners_spec(&f, &s, Some("s3cr3t")))
        .await
        .expect("create with the CDN");
    let arn = guarded.listener_arns[0].1.clone();
    /// Whether the listener answers a fixed 403 by default, and whether its header rule is there.
    async fn state(f: &support::Fleet, arn: String) -> (bool, bool) {
        let got = describe_listener(f, &arn).await;
        let default = got.listeners()[0].default_actions()[0].clone();
        let rules = listener_rules(f, &arn).await;
        let header_rule = rules.rules().iter().any(|r| r.priority() == Some("1"));
        (default.fixed_response_config().is_some(), header_rule)
    }
    assert_eq!(
        state(&f, arn.clone()).await,
        (true, true),
        "403 unless the header"
    );
    let open = Listeners
        .apply(&cx, &listeners_spec(&f, &s, None))
        .await
        .expect("CDN off");
    assert_eq!(open, guarded, "the same listener");
    assert_eq!(
        state(&f, arn.clone()).await,
        (false, false),
        "forwards everyone"
    );
    Listeners
        .apply(&cx, &listeners_spec(&f, &s, Some("s3cr3t")))
        .await
        .expect("CDN on again");
    assert_eq!(state(&f, arn).await, (true, true), "guarded again");
    Listeners.delete(&cx, &guarded).await.unwrap();
    s.delete(&f).await;
    f.assert_no_leaks();
}
