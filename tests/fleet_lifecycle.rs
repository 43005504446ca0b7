//! The whole fleet against the AWS emulator (strict mode): create every sub-resource through the
//! dependency graph, check each one's settings with the SDK, read it back, see drift, delete it all.

mod support;

use std::time::Instant;

use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::refresh::refresh;
use ec2fleet::fleet::Records;
use ec2fleet::fleet::{plan, Node};
use ec2fleet::fleet::{ready, FleetOutputs};
use ec2fleet::resources::compute::auto_scaling_group::Capacity;
use ec2fleet::resources::network::load_balancer_security_group::CLOUDFRONT_PREFIX_LIST;
use support::stacks;
use support::{never_cancelled, quiet};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_fleet_is_built_in_full_reads_back_clean_shows_drift_and_deletes_without_leaks()
{
    let account = support::fresh_account();
    let (f, zone_id) = stacks::fleet_with_zone(&account, "web-f1ee7", "shop.example.com").await;
    let cx = f.fleet(None);
    let rx = never_cancelled();
    let emu = support::emulator();

    let t0 = Instant::now();
    let records = apply(
        &f.fleet(Some("s3cr3t")),
        Records::default(),
        true,
        rx.clone(),
        &quiet,
    )
    .await
    .expect("create");
    ready::wait(&cx, &records).await.expect("the fleet serves");
    let create = (t0.elapsed(), emu.calls(&account).len());

    // Every node of the plan is recorded, and every output a user needs is filled; the release and
    // asset outputs stay empty, as documented, because this fleet is given neither.
    let mut planned: Vec<Node> = plan::graph(&f.args).into_iter().map(|(n, _)| n).collect();
    planned.sort();
    assert_eq!(records.all().keys().copied().collect::<Vec<_>>(), planned);
    let mut out = serde_json::to_value(FleetOutputs::of(&f.args, &f.prefix, &records)).unwrap();
    assert_eq!(out["assetCount"], 0);
    for k in [
        "releaseHash",
        "releaseVersion",
        "deploymentId",
        "deploymentStatus",
        "assetsHash",
        "environmentPath",
    ] {
        assert_eq!(out.as_object_mut().unwrap().remove(k).unwrap(), "", "{k}");
    }
    for (k, v) in out.as_object().unwrap() {
        assert!(
            v.as_str().is_none_or(|s| !s.is_empty()) && v.as_array().is_none_or(|a| !a.is_empty()),
            "output {k} is empty: {out}"
        );
    }
    assert_eq!(out["url"], "https://shop.example.com");

    assert_network(&f, &records).await;
    assert_compute(&f, &records).await;
    assert_delivery(&f, &records).await;
    assert_edge(&f, &records, &zone_id).await;

    // Read after create: no drift.
    let before_read = emu.calls(&account).len();
    let live = refresh(&cx, &records).await.expect("read");
    let read_calls = emu.calls(&account)[before_read..]
        .iter()
        .map(|c| c["operation"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(live.records, records);
    assert_batched(&read_calls);
    let read_calls = read_calls.len();
    assert_eq!(
        live.capacity,
        Some(Capacity {
            min: 3,
            max: 4,
            desired: 3
        })
    );

    // A security group gone out of band drops out; its neighbour, read in the same call, stays.
    let mut lost = records.clone();
    lost.instance_security_group.as_mut().unwrap().group_id = "sg-0123456789abcdef0".into();
    let live = refresh(&cx, &lost).await.expect("read");
    assert_eq!(live.records.instance_security_group, None);
    assert_eq!(
        live.records.load_balancer_security_group,
        records.load_balancer_security_group
    );

    // A launch template gone out of band drops out, but the AMI it launched stays recorded (an
    // input resolved once, not an object): the template is remade with the same image.
    let mut lost = records.clone();
    lost.launch_template.as_mut().unwrap().launch_template_id = "lt-0123456789abcdef0".into();
    let live = refresh(&cx, &lost).await.expect("read");
    assert_eq!(live.records.launch_template, None);
    assert_eq!(live.records.ami, records.ami);

    // A scheduled action deleted out of band is drift the read reports.
    let group = &records.auto_scaling_group.as_ref().unwrap().name;
    let gone = &f.args.scheduled_actions[0].name;
    f.aws
        .autoscaling
        .delete_scheduled_action()
        .auto_scaling_group_name(group)
        .scheduled_action_name(gone)
        .send()
        .await
        .unwrap();
    let live = refresh(&cx, &records).await.expect("read");
    let names = &live.records.scheduled_actions.as_ref().unwrap().names;
    assert!(!names.contains(gone), "{names:?}");
    assert_eq!(names.len(), f.args.scheduled_actions.len() - 1);

    let calls_before_delete = emu.calls(&account).len();
    let t1 = Instant::now();
    destroy(&cx, &records, rx, &quiet).await.expect("delete");
    let delete = (
        t1.elapsed(),
        emu.calls(&account).len() - calls_before_delete,
    );
    stacks::delete_hosted_zone(&f.aws, &zone_id).await;
    f.assert_no_leaks();
    eprintln!(
        "fleet against the emulator: create {:?} in {} calls, read in {read_calls} calls, delete {:?} in {} calls",
        create.0, create.1, delete.0, delete.1
    );
}

/// A read asks each API once, except those AWS offers no batched form of: IAM's GetRole (one call a
/// role) and S3's bucket calls (one a bucket).
fn assert_batched(ops: &[String]) {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for op in ops {
        *counts.entry(op).or_default() += 1;
    }
    counts.retain(|op, n| *n > 1 && !matches!(*op, "GetRole" | "GetBucketVersioning"));
    assert!(counts.is_empty(), "asked more than once: {counts:?}");
    assert!(!ops.iter().any(|op| op == "HeadBucket"), "{ops:?}");
}

async fn assert_network(f: &support::Fleet, r: &Records) {
    let vpc = &r.vpc.as_ref().unwrap().vpc_id;
    let subnets = f
        .aws
        .ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut zones: Vec<&str> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    zones.sort();
    zones.dedup();
    assert_eq!((subnets.subnets().len(), zones.len()), (3, 3));
    assert!(subnets
        .subnets()
        .iter()
        .all(|s| s.map_public_ip_on_launch() == Some(true)));

    let groups = f
        .aws
        .ec2
        .describe_security_groups()
        .group_ids(&r.instance_security_group.as_ref().unwrap().group_id)
        .group_ids(&r.load_balancer_security_group.as_ref().unwrap().group_id)
        .send()
        .await
        .unwrap();
    for g in groups.security_groups() {
        for p in g.ip_permissions() {
            assert_ne!(p.from_port(), Some(22), "no SSH by default: {p:?}");
            assert!(p.ip_ranges().is_empty(), "no CIDR is open: {p:?}");
        }
    }
    let lb_sg = groups
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(&r.load_balancer_security_group.as_ref().unwrap().group_id))
        .unwrap();
    let lists = f
        .aws
        .ec2
        .describe_managed_prefix_lists()
        .send()
        .await
        .unwrap();
    let cloudfront = lists
        .prefix_lists()
        .iter()
        .find(|p| p.prefix_list_name() == Some(CLOUDFRONT_PREFIX_LIST))
        .and_then(|p| p.prefix_list_id())
        .unwrap();
    for p in lb_sg.ip_permissions() {
        let ids: Vec<_> = p
            .prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id())
            .collect();
        assert_eq!(ids, [cloudfront], "the ALB admits only CloudFront: {p:?}");
    }
}

async fn assert_compute(f: &support::Fleet, r: &Records) {
    let lt = f
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&r.launch_template.as_ref().unwrap().launch_template_id)
        .send()
        .await
        .unwrap();
    let data = lt.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    assert_eq!(
        data.metadata_options().and_then(|m| m.http_tokens()),
        Some(&aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required)
    );

    let name = &r.auto_scaling_group.as_ref().unwrap().name;
    let g = support::describe_group(&f.aws, name).await;
    assert_eq!((g.min_size(), g.max_size()), (Some(3), Some(4)));
    let actions = f
        .aws
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        actions.scheduled_update_group_actions().len(),
        f.args.scheduled_actions.len()
    );

    let tg_arn = &r.target_group.as_ref().unwrap().arn;
    let tgs = f
        .aws
        .elbv2
        .describe_target_groups()
        .target_group_arns(tg_arn)
        .send()
        .await
        .unwrap();
    let tg = &tgs.target_groups()[0];
    assert_eq!(
        (
            tg.port(),
            tg.health_check_interval_seconds(),
            tg.healthy_threshold_count()
        ),
        (Some(3000), Some(10), Some(2))
    );
    let delay = support::drain_time(&f.aws, tg_arn).await;
    assert_eq!(delay.as_deref(), Some("10"));
}

async fn assert_delivery(f: &support::Fleet, r: &Records) {
    let dg = r.deployment_group.as_ref().unwrap();
    let got = f
        .aws
        .codedeploy
        .get_deployment_group()
        .application_name(&dg.application)
        .deployment_group_name(&dg.name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.deployment_group_info()
            .and_then(|i| i.deployment_config_name()),
        Some("CodeDeployDefault.HalfAtATime")
    );
    let p = f
        .aws
        .codepipeline
        .get_pipeline()
        .name(&r.pipeline.as_ref().unwrap().name)
        .send()
        .await
        .unwrap();
    let stages: Vec<&str> = p
        .pipeline()
        .unwrap()
        .stages()
        .iter()
        .map(|s| s.name())
        .collect();
    assert_eq!(stages, ["Source", "Deploy"]);
}

async fn assert_edge(f: &support::Fleet, r: &Records, zone_id: &str) {
    let policy = f
        .aws
        .cloudfront
        .get_cache_policy_config()
        .id(&r.cache_policy.as_ref().unwrap().id)
        .send()
        .await
        .unwrap();
    let c = policy.cache_policy_config().unwrap();
    assert_eq!(
        (c.default_ttl(), c.min_ttl(), c.max_ttl()),
        (Some(10), 0, Some(3600))
    );
    let dist = r.distribution.as_ref().unwrap();
    let sets = f
        .aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .unwrap();
    let alias: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter(|s| s.name() == "shop.example.com.")
        .filter_map(|s| {
            s.alias_target()
                .map(|a| (s.r#type().as_str(), a.dns_name()))
        })
        .collect();
    assert!(
        alias
            .iter()
            .any(|(t, d)| *t == "A" && d.trim_end_matches('.') == dist.domain_name),
        "alias A record to {}: {alias:?}",
        dist.domain_name
    );
}
