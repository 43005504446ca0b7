//! Cancel, through the binary: the engine's Cancel stops a running create, which starts nothing new,
//! lets running sub-resources finish, and hands the engine everything made; a later delete removes it.
//! This binary owns its emulator's profile (Route 53 slow to propagate and the instance profile slow to
//! be usable, so the create is surely running).

mod support;

use std::time::Duration;

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::server::props::{decode_struct, Value};
use serde_json::json;
use support::plugin::*;
use support::stacks;

#[tokio::test]
async fn cancel_stops_a_create_that_hands_over_what_it_made_and_a_delete_removes_it() {
    let emu = support::emulator();
    emu.control_post(
        "/profile",
        json!({"readiness": {"route53.change": 5, "iam.instance_profile": 5}}),
    );
    let account = support::fresh_account();
    let aws = support::clients(&account).await;
    let zone = stacks::hosted_zone(&aws, "cancel.example.com", &account).await;
    let (_engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    let dns = Value::Object(
        [
            ("hostedZoneId".to_string(), s(&zone)),
            ("zoneName".to_string(), s("cancel.example.com")),
        ]
        .into(),
    );
    // The record points at the distribution, so its name must be one of the CDN's aliases.
    let cert = stacks::certificate(&account, "cancel.example.com");
    let cdn = Value::Object(
        [
            (
                "aliases".to_string(),
                Value::Array(vec![s("cancel.example.com")]),
            ),
            ("certificateArn".to_string(), s(&cert)),
        ]
        .into(),
    );
    let inputs = p
        .check_fleet(props(vec![
            ("namePrefix", s("web-cance1")),
            ("dns", dns),
            ("cdn", cdn),
        ]))
        .await
        .inputs;
    let mut client = p.client.clone();
    let create = tokio::spawn({
        let inputs = inputs.clone();
        async move { client.create(create_request(inputs)).await }
    });
    // Once the DNS record is propagating, the group is still waiting for its instance profile, so
    // the pipeline (which needs the group's deployment group) has surely not started.
    for _ in 0..100 {
        let calls = emu.calls(&account);
        if calls
            .iter()
            .any(|c| c["operation"] == "ChangeResourceRecordSets")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p.client.cancel(()).await.expect("cancel");

    let err = create.await.unwrap().expect_err("a cancelled create fails");
    let failed = init_failed(&err);
    assert!(
        failed.reasons.iter().any(|r| r.contains("cancelled")),
        "{:?}",
        failed.reasons
    );
    assert!(
        failed
            .reasons
            .iter()
            .any(|r| r.contains("not started") && r.contains("Pipeline")),
        "the pipeline never started: {:?}",
        failed.reasons
    );
    let state = decode_struct(failed.properties.as_ref());
    let Some(Value::Object(records)) = state.get("__fleet") else {
        panic!("no records: {state:?}")
    };
    assert!(
        records.contains_key("dnsRecord"),
        "the running record finished propagating and is recorded"
    );
    assert!(!records.contains_key("pipeline"));

    // The engine keeps that state; a delete (here from a new provider process) removes it all.
    let mut q = start_plugin(&[]).await;
    q.configure_emulator(&account).await;
    let delete = rpc::DeleteRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: failed.properties.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    q.client.delete(delete).await.expect("delete");
    stacks::delete_hosted_zone(&aws, &zone).await;
    stacks::delete_certificate(&account, &cert);
    emu.assert_no_leaks(&account);
    p.child.kill().await.ok();
    q.child.kill().await.ok();
}
