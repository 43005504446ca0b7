//! The preflight against the emulator: inputs that name what AWS does not have fail before anything
//! is made, every problem reported at once, with no mutating call in the emulator's log.

mod support;

use ec2fleet::fleet::{preflight, InputError};
use support::plugin::*;
use support::stacks;
use tonic::Code;

/// The mutating calls `account` made after `since`.
fn mutating_since(account: &str, since: u64) -> Vec<String> {
    support::emulator()
        .calls(account)
        .iter()
        .filter(|c| c["seq"].as_u64() > Some(since) && c["mutating"] == true)
        .map(|c| format!("{}:{}", c["service"], c["operation"]))
        .collect()
}

fn about<'a>(found: &'a [InputError], property: &str) -> &'a str {
    found
        .iter()
        .find(|p| p.property == property)
        .map(|p| p.reason.as_str())
        .unwrap_or_else(|| panic!("no problem with {property}: {found:?}"))
}

#[tokio::test]
async fn everything_aws_lacks_is_reported_at_once_and_nothing_is_made() {
    let account = support::fresh_account();
    let aws = support::clients(&account).await;
    let pending = stacks::pending_certificate(&account, "app.example.com", &[]);
    let cdn_cert = stacks::certificate(&account, "www.example.com");
    let zone = stacks::hosted_zone(&aws, "example.org", &account).await;
    let inputs = serde_json::json!({
        "instanceType": "trn1.32xlarge",
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "ami": "ami-0123456789abcdef0",
        "keyName": "nobodys-key",
        "deploymentConfig": "Custom.NotMadeYet",
        "certificateArn": pending,
        "listenerPort": 80,
        "cdn": {"certificateArn": cdn_cert, "aliases": ["www.example.com", "shop.example.com"]},
        "dns": {"hostedZoneId": zone, "zoneName": "example.com", "recordName": "www.example.com"},
    });
    let f = support::Fleet::in_account(&account, "web-pf1a2b3", inputs).await;
    let since = support::last_seq(&account);

    let found = preflight::check(&f.aws, &f.args)
        .await
        .expect("AWS answered");
    assert!(about(&found, "ami").contains("does not exist in us-east-1"));
    assert!(about(&found, "keyName").contains("no key pair"));
    assert!(about(&found, "availabilityZones[0]").contains("not offered in us-east-1a"));
    assert!(
        found.iter().all(|p| p.property != "availabilityZones[1]"),
        "{found:?}"
    );
    assert!(about(&found, "deploymentConfig").contains("Custom.NotMadeYet"));
    assert!(about(&found, "certificateArn").contains("PENDING_VALIDATION"));
    assert!(about(&found, "cdn.aliases[1]").contains("shop.example.com is not covered"));
    assert!(
        found.iter().all(|p| p.property != "cdn.aliases[0]"),
        "{found:?}"
    );
    assert!(about(&found, "dns.zoneName").contains("example.org"));
    assert_eq!(found.len(), 7, "{found:#?}");
    assert_eq!(mutating_since(&account, since), Vec::<String>::new());
}

#[tokio::test]
async fn an_image_for_another_architecture_is_refused_and_good_inputs_pass() {
    let f = support::Fleet::new("web-pf4c5d6", serde_json::json!({})).await;
    let arm = f
        .aws
        .ec2
        .describe_images()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("architecture")
                .values("arm64")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let image = arm.images()[0].image_id().unwrap().to_string();
    let on_x86 = support::Fleet::in_account(
        &f.account,
        "web-pf4c5d6",
        serde_json::json!({"ami": image, "instanceType": "t3.micro"}),
    )
    .await;
    let found = preflight::check(&on_x86.aws, &on_x86.args).await.unwrap();
    assert!(
        about(&found, "ami").contains("built for arm64, but t3.micro runs x86_64"),
        "{found:?}"
    );
    let on_arm = support::Fleet::in_account(
        &f.account,
        "web-pf4c5d6",
        serde_json::json!({"ami": image, "instanceType": "t4g.micro"}),
    )
    .await;
    assert_eq!(
        preflight::check(&on_arm.aws, &on_arm.args).await.unwrap(),
        vec![]
    );
    assert_eq!(
        preflight::check(&f.aws, &f.args).await.unwrap(),
        vec![],
        "the defaults"
    );
}

#[tokio::test]
async fn a_disabled_image_is_refused() {
    let f = support::Fleet::new("web-pf7e8f9", serde_json::json!({})).await;
    let images = f.aws.ec2.describe_images().send().await.unwrap();
    let x86 = images
        .images()
        .iter()
        .find(|i| i.architecture().map(|a| a.as_str()) == Some("x86_64"))
        .unwrap();
    let source = x86.image_id().unwrap();
    let copy = f
        .aws
        .ec2
        .copy_image()
        .name("web-disabled")
        .source_image_id(source)
        .source_region(&f.aws.region)
        .send()
        .await
        .unwrap();
    let image = copy.image_id().unwrap().to_string();
    f.aws
        .ec2
        .disable_image()
        .image_id(&image)
        .send()
        .await
        .unwrap();
    let with =
        support::Fleet::in_account(&f.account, "web-pf7e8f9", serde_json::json!({"ami": image}))
            .await;
    let found = preflight::check(&with.aws, &with.args).await.unwrap();
    assert!(
        about(&found, "ami").contains("is disabled, and EC2 launches only available images"),
        "{found:?}"
    );
    f.aws
        .ec2
        .deregister_image()
        .image_id(&image)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_create_through_grpc_fails_before_making_anything() {
    let account = support::fresh_account();
    let mut p = start_plugin(&[]).await;
    p.configure_emulator(&account).await;
    let checked = p
        .check_fleet(props(vec![
            ("keyName", s("nobodys-key")),
            ("deploymentConfig", s("Custom.NotMadeYet")),
        ]))
        .await;
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let since = support::last_seq(&account);
    let err = p.create_fleet(checked.inputs).await.expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition);
    let message = err.message();
    assert!(
        message.contains("2 input(s)") && message.contains("nothing was made"),
        "{message}"
    );
    assert!(
        message.contains("keyName: no key pair \"nobodys-key\""),
        "{message}"
    );
    assert!(
        message.contains("deploymentConfig: no deployment configuration"),
        "{message}"
    );
    assert_eq!(mutating_since(&account, since), Vec::<String>::new());
    p.child.kill().await.ok();
}

#[tokio::test]
async fn a_configuration_that_keeps_every_instance_healthy_is_refused() {
    let f = support::Fleet::new("web-pf9h8m7", serde_json::json!({})).await;
    let with =
        |inputs: serde_json::Value| support::Fleet::in_account(&f.account, "web-pf9h8m7", inputs);
    // HalfAtATime keeps half, rounded up: one instance of one, so CodeDeploy fails at once.
    let one = with(serde_json::json!({"minCapacity": 1, "desiredCapacity": 2})).await;
    let found = preflight::check(&one.aws, &one.args).await.unwrap();
    assert_eq!(
        about(&found, "deploymentConfig"),
        "CodeDeployDefault.HalfAtATime keeps 1 instance(s) healthy during a deployment, which is all of the 1 the group may run (minCapacity or a scheduled action's), so CodeDeploy would fail every release at once; raise the capacity, or use CodeDeployDefault.OneAtATime or .AllAtOnce"
    );
    let scheduled = with(serde_json::json!({"scheduledActions": [
        {"name": "night", "cron": "0 2 * * *", "minCapacity": 1, "maxCapacity": 2}]}))
    .await;
    let found = preflight::check(&scheduled.aws, &scheduled.args)
        .await
        .unwrap();
    assert!(
        about(&found, "deploymentConfig").contains("all of the 1"),
        "{found:?}"
    );
    let one_at_a_time = with(serde_json::json!({"minCapacity": 1,
        "deploymentConfig": "CodeDeployDefault.OneAtATime"}))
    .await;
    assert_eq!(
        preflight::check(&one_at_a_time.aws, &one_at_a_time.args)
            .await
            .unwrap(),
        vec![]
    );
}
