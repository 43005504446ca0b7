//! Updating a fleet in place against the AWS emulator: new inputs re-reconcile every sub-resource, and
//! each brings its object to the new settings instead of keeping the old ones.

mod support;

use aws_sdk_ec2::types::Instance;
use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::converge::{converge, How};
use ec2fleet::fleet::destroy::{destroy, replaced};
use ec2fleet::fleet::retag::removed_keys;
use ec2fleet::fleet::Records;
use serde_json::json;
use support::{never_cancelled, quiet};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_inputs_reach_the_template_group_health_check_listeners_and_schedule() {
    let f = support::Fleet::new(
        "web-0bda7e",
        json!({"cdn": {"enabled": false}, "sshIngressCidrs": ["10.9.0.0/16"]}),
    )
    .await;
    let rx = never_cancelled();
    let first = apply(&f.fleet(None), Records::default(), true, rx.clone(), &quiet)
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
    let cx = changed.fleet(None);
    let second = apply(&cx, first.clone(), false, rx.clone(), &quiet)
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
    let g = support::describe_group(&f.aws, group).await;
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

    let lb_rules = ingress(&f, &second.load_balancer_security_group).await;
    assert_eq!(
        lb_rules,
        [(8080, "0.0.0.0/0".to_string())],
        "port 80 is closed"
    );
    let ssh = ingress(&f, &second.instance_security_group).await;
    assert!(
        ssh.iter().all(|(port, _)| *port != 22),
        "SSH is closed: {ssh:?}"
    );

    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn turning_the_cdn_off_deletes_it_and_repoints_the_dns_record_at_the_load_balancer() {
    let account = support::fresh_account();
    let (f, zone) =
        support::stacks::fleet_with_zone(&account, "web-0ffcd", "off.example.com").await;
    let rx = never_cancelled();
    let how = How::default();
    let first = converge(
        &f.fleet(Some("s3cr3t")),
        Records::default(),
        how,
        rx.clone(),
        (&quiet, &quiet),
    )
    .await
    .expect("create");
    assert!(first.distribution.is_some() && first.dns_record.is_some());

    let dns = json!({"hostedZoneId": zone, "zoneName": "off.example.com"});
    let off = support::Fleet::in_account(
        &account,
        &f.prefix,
        json!({"dns": dns, "cdn": {"enabled": false}}),
    )
    .await;
    // The state keeps the secret (turning the CDN on again reuses it), as the provider passes it.
    let cx = off.fleet(Some("s3cr3t"));
    let how = How {
        resume: false,
        replace: replaced(&f.args, &off.args),
        retag: removed_keys(&f.args.tags, &off.args.tags),
    };
    let second = converge(&cx, first.clone(), how, rx.clone(), (&quiet, &quiet))
        .await
        .expect("update");
    assert!(second.distribution.is_none() && second.cache_policy.is_none());
    // Without the CDN no request carries its header: the listener forwards every one, and the
    // header rule is gone (it used to keep answering everyone with the 403 meant for bypassers).
    let listener = &second.listeners.as_ref().unwrap().listener_arns[0].1;
    let got = f
        .aws
        .elbv2
        .describe_listeners()
        .listener_arns(listener)
        .send()
        .await
        .unwrap();
    let default = &got.listeners()[0].default_actions()[0];
    assert_eq!(
        default.target_group_arn(),
        Some(second.target_group.as_ref().unwrap().arn.as_str()),
        "forwards, not 403: {default:?}"
    );
    let rules = f
        .aws
        .elbv2
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .unwrap();
    assert!(
        rules.rules().iter().all(|r| r.priority() != Some("1")),
        "no header rule: {:?}",
        rules.rules()
    );
    let dists = f.aws.cloudfront.list_distributions().send().await.unwrap();
    let left = dists
        .distribution_list()
        .map(|l| l.items().len())
        .unwrap_or_default();
    assert_eq!(left, 0, "the distribution is deleted");
    let lb_rules = ingress(&f, &second.load_balancer_security_group).await;
    assert_eq!(
        lb_rules,
        [(80, "0.0.0.0/0".to_string())],
        "open to all, and the CloudFront prefix list rule is gone"
    );
    let sets = f
        .aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let aliases: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter_map(|s| {
            s.alias_target()
                .map(|a| (s.r#type().as_str().to_string(), a.dns_name().to_string()))
        })
        .collect();
    let lb = &second.load_balancer.as_ref().unwrap().dns_name;
    assert_eq!(aliases.len(), 1, "only the A record is left: {aliases:?}");
    assert_eq!(aliases[0].0, "A");
    assert!(
        aliases[0].1.trim_end_matches('.').ends_with(lb.as_str()),
        "{aliases:?}"
    );

    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    support::stacks::delete_hosted_zone(&f.aws, &zone).await;
    f.assert_no_leaks();
}

/// The group's ingress as (port, source) pairs; the source is a CIDR, prefix list or group ID.
async fn ingress(
    f: &support::Fleet,
    group: &Option<ec2fleet::resources::network::security_group::SecurityGroupState>,
) -> Vec<(i32, String)> {
    let out = f
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(&group.as_ref().unwrap().group_id)
        .send()
        .await
        .unwrap();
    let mut pairs = vec![];
    for rule in out.security_groups()[0].ip_permissions() {
        let port = rule.from_port().unwrap_or(-1);
        let sources = rule
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip())
            .chain(
                rule.prefix_list_ids()
                    .iter()
                    .filter_map(|p| p.prefix_list_id()),
            )
            .chain(
                rule.user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id()),
            );
        pairs.extend(sources.map(|s| (port, s.to_string())));
    }
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_inputs_reach_the_release_path_cache_drain_time_capacity_and_user_data() {
    let f = support::Fleet::new("web-2d9a1", json!({})).await;
    let rx = never_cancelled();
    let first = apply(
        &f.fleet(Some("s3cr3t")),
        Records::default(),
        true,
        rx.clone(),
        &quiet,
    )
    .await
    .expect("create");

    let changed = support::Fleet::in_account(
        &f.account,
        &f.prefix,
        json!({
            "sourceKey": "releases/app.zip",
            "deploymentConfig": "CodeDeployDefault.OneAtATime",
            "cdn": {"defaultTtl": 60, "minTtl": 5, "maxTtl": 7200},
            "deregistrationDelaySeconds": 30,
            "maxCapacity": 6,
            "desiredCapacity": 4,
            "userData": "echo second-release-path",
        }),
    )
    .await;
    let cx = changed.fleet(None);
    let r = apply(
        &changed.fleet(Some("s3cr3t")),
        first.clone(),
        false,
        rx.clone(),
        &quiet,
    )
    .await
    .expect("update");
    assert_eq!(r.pipeline, first.pipeline);
    assert_eq!(r.distribution, first.distribution);
    let aws = &f.aws;

    // The release path: pipeline source, trail selector and event rule all follow the new key.
    let p = aws
        .codepipeline
        .get_pipeline()
        .name(&r.pipeline.as_ref().unwrap().name)
        .send()
        .await
        .unwrap();
    let source = &p.pipeline().unwrap().stages()[0].actions()[0];
    let key = source.configuration().and_then(|c| c.get("S3ObjectKey"));
    assert_eq!(key.map(String::as_str), Some("releases/app.zip"));
    let sel = aws
        .cloudtrail
        .get_event_selectors()
        .trail_name(&r.trail.as_ref().unwrap().arn)
        .send()
        .await
        .unwrap();
    let selectors = format!("{:?}", sel.advanced_event_selectors());
    assert!(selectors.contains("/releases/app.zip"), "{selectors}");
    assert!(!selectors.contains("source.zip"), "{selectors}");
    let rule = aws
        .events
        .describe_rule()
        .name(&r.event_rule.as_ref().unwrap().name)
        .send()
        .await
        .unwrap();
    assert!(
        rule.event_pattern().unwrap().contains("releases/app.zip"),
        "{:?}",
        rule.event_pattern()
    );

    let dg = r.deployment_group.as_ref().unwrap();
    let got = aws
        .codedeploy
        .get_deployment_group()
        .application_name(&dg.application)
        .deployment_group_name(&dg.name)
        .send()
        .await
        .unwrap();
    let config = got
        .deployment_group_info()
        .and_then(|i| i.deployment_config_name());
    assert_eq!(config, Some("CodeDeployDefault.OneAtATime"));

    let policy = aws
        .cloudfront
        .get_cache_policy()
        .id(&r.cache_policy.as_ref().unwrap().id)
        .send()
        .await
        .unwrap();
    let c = policy
        .cache_policy()
        .unwrap()
        .cache_policy_config()
        .unwrap();
    assert_eq!(
        (c.default_ttl(), c.min_ttl(), c.max_ttl()),
        (Some(60), 5, Some(7200))
    );

    let delay = support::drain_time(aws, &r.target_group.as_ref().unwrap().arn).await;
    assert_eq!(delay.as_deref(), Some("30"));

    let g = support::describe_group(aws, &r.auto_scaling_group.as_ref().unwrap().name).await;
    assert_eq!((g.max_size(), g.desired_capacity()), (Some(6), Some(4)));

    let lt = r.launch_template.as_ref().unwrap();
    let versions = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt.launch_template_id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let data = versions.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    let script = data.user_data().unwrap();
    let script = aws_smithy_types::base64::decode(script).unwrap();
    let script = String::from_utf8(script).unwrap();
    assert!(script.contains("echo second-release-path"), "{script}");

    destroy(&cx, &r, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_instance_type_replaces_the_running_instances_and_only_new_ones_take_traffic() {
    let f = support::Fleet::new("web-5f1ee7", json!({"cdn": {"enabled": false}})).await;
    let rx = never_cancelled();
    let first = converge(
        &f.fleet(None),
        Records::default(),
        How::default(),
        rx.clone(),
        (&quiet, &quiet),
    )
    .await
    .expect("create");
    let before = ids_and_types(&f.group_instances(&first).await);
    assert_eq!(before.len(), 3);

    let bigger = json!({"cdn": {"enabled": false}, "instanceType": "t3.large"});
    let changed = support::Fleet::in_account(&f.account, &f.prefix, bigger).await;
    let cx = changed.fleet(None);
    let how = How {
        resume: false,
        replace: replaced(&f.args, &changed.args),
        retag: removed_keys(&f.args.tags, &changed.args.tags),
    };
    let second = converge(&cx, first, how, rx.clone(), (&quiet, &quiet))
        .await
        .expect("update");

    let after = ids_and_types(&f.group_instances(&second).await);
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(
        after
            .iter()
            .all(|(id, t)| t == "t3.large" && !before.iter().any(|(b, _)| b == id)),
        "every instance is new and of the new type: {after:?} (before: {before:?})"
    );
    let health = f
        .aws
        .elbv2
        .describe_target_health()
        .target_group_arn(&second.target_group.as_ref().unwrap().arn)
        .send()
        .await
        .unwrap();
    let mut targets: Vec<_> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()))
        .collect();
    targets.sort();
    let mut ids: Vec<_> = after.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort();
    assert_eq!(targets, ids, "the old instances are deregistered");

    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}

/// Instances as (ID, instance type).
fn ids_and_types(instances: &[Instance]) -> Vec<(String, String)> {
    instances
        .iter()
        .map(|i| {
            let kind = i.instance_type().map(|t| t.as_str()).unwrap_or_default();
            (i.instance_id().unwrap().to_string(), kind.to_string())
        })
        .collect()
}
