//! Importing a fleet by its name prefix alone against the AWS emulator: every sub-resource is found
//! by its identity, the inputs come back as they were given, and nothing that is not the fleet's
//! (by its tags) is ever taken for it.

mod support;

use std::collections::HashMap;

use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::discover::{discover, inputs};
use ec2fleet::fleet::FleetArgs;
use ec2fleet::fleet::Records;
use ec2fleet::resources::compute::ami;
use ec2fleet::resources::Reconciler;
use ec2fleet::resources::{TAG_FLEET, TAG_NODE};
use serde_json::json;
use support::{never_cancelled, quiet};
use support::{stacks, Fleet};

/// The asset bucket's name for a fleet named `ghost`.
const BUCKET: &str = "ghost-assets";

/// What `pulumi import <prefix>` starts from: the default inputs and the prefix.
async fn importer(account: &str, prefix: &str) -> Fleet {
    Fleet::in_account(account, prefix, json!({"namePrefix": prefix})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fleet_is_found_by_its_prefix_alone_with_the_inputs_it_was_made_with() {
    let prefix = "imp-5a1e";
    let account = support::fresh_account();
    let probe = importer(&account, prefix).await;
    let image = ami::Ami
        .apply(
            &probe.cx("Ami"),
            &ami::Spec {
                image: None,
                instance_type: "t3.micro".into(),
            },
        )
        .await
        .unwrap();
    probe
        .aws
        .ec2
        .create_key_pair()
        .key_name("deploy")
        .send()
        .await
        .unwrap();
    let cert = stacks::certificate(&account, "app.example.com");
    let given = json!({
        "namePrefix": prefix,
        "vpcCidr": "10.42.0.0/16",
        "availabilityZones": ["us-east-1b", "us-east-1a"],
        "instanceType": "t3.small",
        "ami": image,
        "keyName": "deploy",
        "sshIngressCidrs": ["203.0.113.0/24", "198.51.100.7/32"],
        "nodeVersion": "20",
        "userData": "echo hello\nmkdir -p /srv/app",
        "appPort": 8081,
        "minCapacity": 1,
        "maxCapacity": 3,
        "desiredCapacity": 2,
        "scheduledActions": [{"name": "Nightly", "cron": "0 2 * * *", "minCapacity": 1,
            "maxCapacity": 2, "desiredCapacity": 1, "timeZone": "Europe/London"}],
        "listenerPort": 8080,
        "certificateArn": cert,
        "healthCheck": {"path": "/healthz", "intervalSeconds": 15, "timeoutSeconds": 6,
            "healthyThreshold": 3, "unhealthyThreshold": 4},
        "deregistrationDelaySeconds": 30,
        "deploymentConfig": "CodeDeployDefault.OneAtATime",
        "sourceKey": "releases/app.zip",
        "cdn": {"defaultTtl": 60, "minTtl": 5, "maxTtl": 7200, "certificateArn": cert,
            "aliases": ["app.example.com"]},
        "tags": {"team": "web", "env": "test"},
    });
    let f = Fleet::in_account(&account, prefix, given.clone()).await;
    let rx = never_cancelled();
    let cx = f.fleet(None);
    let made = apply(
        &f.fleet(Some("s3")),
        Records::default(),
        true,
        rx.clone(),
        &quiet,
    )
    .await;
    let made = made.expect("create");

    let probe_cx = probe.fleet(None);
    let found = discover(&probe_cx).await.expect("discover");
    assert_eq!(
        found, made,
        "every sub-resource is found as it was recorded"
    );

    let expected: FleetArgs = ec2fleet::fleet::parse(given).unwrap();
    let got = inputs(&probe_cx, &found).await.expect("inputs");
    assert_eq!(got, expected);

    destroy(&cx, &made, rx, &quiet).await.expect("delete");
    probe
        .aws
        .ec2
        .delete_key_pair()
        .key_name("deploy")
        .send()
        .await
        .unwrap();
    stacks::delete_certificate(&account, &cert);
    f.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fleet_that_does_not_exist_is_not_found() {
    let f = importer(&support::fresh_account(), "nobody").await;
    assert_eq!(discover(&f.fleet(None)).await.unwrap(), Records::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn objects_with_the_fleets_names_but_not_its_tags_are_not_taken_for_it() {
    let f = importer(&support::fresh_account(), "ghost").await;
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    // A VPC named like the fleet's but tagged for another fleet.
    let spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
        .tags(tag("Name", "ghost-vpc"))
        .tags(tag(TAG_FLEET, "other"))
        .tags(tag(TAG_NODE, "Vpc"))
        .build();
    let vpc = f
        .aws
        .ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(spec)
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    // A bucket and a log group with the fleet's names: untagged, and tagged for another fleet.
    let s3 = &f.aws.s3;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    f.aws
        .logs
        .create_log_group()
        .log_group_name("/ec2fleet/ghost/app")
        .set_tags(Some(HashMap::from([(TAG_FLEET.into(), "other".into())])))
        .send()
        .await
        .unwrap();

    assert_eq!(discover(&f.fleet(None)).await.unwrap(), Records::default());

    f.aws.ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap();
    s3.delete_bucket().bucket(BUCKET).send().await.unwrap();
    f.aws
        .logs
        .delete_log_group()
        .log_group_name("/ec2fleet/ghost/app")
        .send()
        .await
        .unwrap();
    f.assert_no_leaks();
}
