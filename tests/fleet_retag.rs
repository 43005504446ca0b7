//! Changing the fleet's `tags` on an update re-tags every object it has, in every service: the new
//! and changed tags go on, removed keys come off, and the identity tags stay.

mod support;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Instance;
use ec2fleet::fleet::converge::{converge, How};
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::retag::removed_keys;
use ec2fleet::fleet::Records;
use ec2fleet::resources::TAG_FLEET;
use serde_json::json;
use support::{never_cancelled, quiet};

type Tags = BTreeMap<String, String>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_tags_reach_every_service_and_removed_ones_come_off() {
    let account = support::fresh_account();
    let before = json!({"tags": {"team": "web", "env": "test"}});
    let f = support::Fleet::in_account(&account, "tag-5e7a", before).await;
    let rx = never_cancelled();
    let first = converge(
        &f.fleet(Some("s3cr3t")),
        Records::default(),
        How::default(),
        rx.clone(),
        (&quiet, &quiet),
    )
    .await
    .expect("create");

    let instances_before = f.group_instances(&first).await;
    assert_eq!(instances_before.len(), 3);

    let after = json!({"tags": {"team": "platform", "owner": "ops"}});
    let changed = support::Fleet::in_account(&account, &f.prefix, after).await;
    let cx = changed.fleet(None);
    let how = How {
        resume: false,
        replace: vec![],
        retag: removed_keys(&f.args.tags, &changed.args.tags),
    };
    assert_eq!(how.retag, Some(vec!["env".to_string()]));
    let second = converge(
        &changed.fleet(Some("s3cr3t")),
        first,
        how,
        rx.clone(),
        (&quiet, &quiet),
    )
    .await
    .expect("update");

    for (what, tags) in all_tags(&f, &second).await {
        check(what, &tags, &f.prefix);
    }

    // A tag change rolls no instance: the running ones and their volumes are re-tagged in place.
    let running = f.group_instances(&second).await;
    assert_eq!(ids(&running), ids(&instances_before));
    let mut volumes = vec![];
    for i in &running {
        let t = i.tags().iter().map(|t| (t.key(), t.value())).collect();
        let what = format!("instance {}", i.instance_id().unwrap());
        check(&what, &pairs(t), &f.prefix);
        volumes.extend(
            i.block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string)),
        );
    }
    assert!(!volumes.is_empty());
    let vols = f
        .aws
        .ec2
        .describe_volumes()
        .set_volume_ids(Some(volumes))
        .send()
        .await
        .unwrap();
    for v in vols.volumes() {
        let t = v.tags().iter().map(|t| (t.key(), t.value())).collect();
        check(
            &format!("volume {}", v.volume_id().unwrap()),
            &pairs(t),
            &f.prefix,
        );
    }

    destroy(&cx, &second, rx, &quiet).await.expect("delete");
    f.assert_no_leaks();
}

/// The new tags are on, the removed one is off, the identity stays.
fn check(what: &str, tags: &Tags, prefix: &String) {
    let get = |k: &str| tags.get(k).map(String::as_str);
    assert_eq!(get("team"), Some("platform"), "{what}: {tags:?}");
    assert_eq!(get("owner"), Some("ops"), "{what}: {tags:?}");
    assert!(
        !tags.contains_key("env"),
        "{what} keeps the removed tag: {tags:?}"
    );
    assert_eq!(tags.get(TAG_FLEET), Some(prefix), "{what}: {tags:?}");
}

fn pairs(it: Vec<(Option<&str>, Option<&str>)>) -> Tags {
    it.into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// The instances' IDs.
fn ids(instances: &[Instance]) -> Vec<&str> {
    instances.iter().filter_map(|i| i.instance_id()).collect()
}

/// The tags of one object of each kind the fleet tags, read with each service's own API.
async fn all_tags(f: &support::Fleet, r: &Records) -> Vec<(&'static str, Tags)> {
    let aws = &f.aws;
    let mut out = vec![];

    let subnet = &r.subnets.as_ref().unwrap().subnet_ids[0];
    let ec2 = aws
        .ec2
        .describe_subnets()
        .subnet_ids(subnet)
        .send()
        .await
        .unwrap();
    let t = ec2.subnets()[0].tags().iter().map(|t| (t.key(), t.value()));
    out.push(("subnet", pairs(t.collect())));

    let tg = &r.target_group.as_ref().unwrap().arn;
    let elb = aws
        .elbv2
        .describe_tags()
        .resource_arns(tg)
        .send()
        .await
        .unwrap();
    let t = elb.tag_descriptions()[0]
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()));
    out.push(("target group", pairs(t.collect())));

    let group = &r.auto_scaling_group.as_ref().unwrap().name;
    let asg = support::describe_group(aws, group).await;
    let t = asg.tags().iter().map(|t| (t.key(), t.value()));
    out.push(("auto scaling group", pairs(t.collect())));

    let role = &r.code_deploy_role.as_ref().unwrap().role_name;
    let iam = aws
        .iam
        .list_role_tags()
        .role_name(role)
        .send()
        .await
        .unwrap();
    let t = iam.tags().iter().map(|t| (Some(t.key()), Some(t.value())));
    out.push(("role", pairs(t.collect())));

    let profile = &r.instance_profile.as_ref().unwrap().name;
    let iam = aws
        .iam
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .unwrap();
    let tags = iam.instance_profile().map(|p| p.tags()).unwrap_or_default();
    let t = tags.iter().map(|t| (Some(t.key()), Some(t.value())));
    out.push(("instance profile", pairs(t.collect())));

    let log_group = &r.log_group.as_ref().unwrap().arn;
    let logs = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(log_group)
        .send()
        .await
        .unwrap();
    out.push((
        "log group",
        logs.tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
    ));

    let trail = &r.trail.as_ref().unwrap().arn;
    let ct = aws
        .cloudtrail
        .list_tags()
        .resource_id_list(trail)
        .send()
        .await
        .unwrap();
    let t = ct.resource_tag_list()[0]
        .tags_list()
        .iter()
        .map(|t| (Some(t.key()), t.value()));
    out.push(("trail", pairs(t.collect())));

    let dg = r.deployment_group.as_ref().unwrap();
    let arn = format!(
        "arn:aws:codedeploy:{}:{}:deploymentgroup:{}/{}",
        f.aws.region, f.account, dg.application, dg.name
    );
    let cd = aws
        .codedeploy
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let t = cd.tags().iter().map(|t| (t.key(), t.value()));
    out.push(("deployment group", pairs(t.collect())));

    let pipeline = &r.pipeline.as_ref().unwrap().arn;
    let cp = aws
        .codepipeline
        .list_tags_for_resource()
        .resource_arn(pipeline)
        .send()
        .await
        .unwrap();
    let t = cp.tags().iter().map(|t| (Some(t.key()), Some(t.value())));
    out.push(("pipeline", pairs(t.collect())));

    let rule = &r.event_rule.as_ref().unwrap().arn;
    let ev = aws
        .events
        .list_tags_for_resource()
        .resource_arn(rule)
        .send()
        .await
        .unwrap();
    let t = ev.tags().iter().map(|t| (Some(t.key()), Some(t.value())));
    out.push(("event rule", pairs(t.collect())));

    let dist = &r.distribution.as_ref().unwrap().arn;
    let cf = aws
        .cloudfront
        .list_tags_for_resource()
        .resource(dist)
        .send()
        .await
        .unwrap();
    let items = cf.tags().map(|t| t.items()).unwrap_or_default();
    let t = items.iter().map(|t| (Some(t.key()), t.value()));
    out.push(("distribution", pairs(t.collect())));
    out
}
