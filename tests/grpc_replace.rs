//! Replacing a fleet through the binary, in both orders the engine may use. A replacement that keeps
//! the name prefix carries the old fleet's names and identity tags, so it must be made after the old
//! fleet is gone (Diff asks for delete-before-replace); one with a new prefix may stand beside the old
//! fleet, and deleting the old one afterwards must leave the new one whole.

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::server::props::{decode_struct, Value};

mod support;

use support::plugin::*;

fn inputs(prefix: &str, cidr: &str) -> prost_types::Struct {
    let cdn = Value::Object([("enabled".to_string(), Value::Bool(false))].into());
    props(vec![
        ("namePrefix", s(prefix)),
        ("vpcCidr", s(cidr)),
        ("cdn", cdn),
    ])
}

fn diff(
    made: &rpc::CreateResponse,
    olds: &Option<prost_types::Struct>,
    news: &Option<prost_types::Struct>,
) -> rpc::DiffRequest {
    rpc::DiffRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: made.properties.clone(),
        news: news.clone(),
        old_inputs: olds.clone(),
        ..Default::default()
    }
}

fn delete(made: &rpc::CreateResponse, inputs: &Option<prost_types::Struct>) -> rpc::DeleteRequest {
    rpc::DeleteRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: made.properties.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    }
}

fn output(made: &rpc::CreateResponse, key: &str) -> String {
    match decode_struct(made.properties.as_ref()).get(key) {
        Some(Value::String(v)) => v.clone(),
        other => panic!("no {key}: {other:?}"),
    }
}

/// Reads the fleet back as a refresh does: the number of sub-resources still recorded.
async fn live_parts(
    p: &mut Plugin,
    made: &rpc::CreateResponse,
    inputs: &Option<prost_types::Struct>,
) -> usize {
    let read = rpc::ReadRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: made.properties.clone(),
        inputs: inputs.clone(),
        ..Default::default()
    };
    let got = p.client.read(read).await.expect("read").into_inner();
    match decode_struct(got.properties.as_ref()).get("__fleet") {
        Some(Value::Object(records)) => records.len(),
        other => panic!("no records: {other:?}"),
    }
}

async fn vpc_cidr(account: &str, vpc_id: &str) -> Option<String> {
    let aws = support::clients(account).await;
    let out = aws.ec2.describe_vpcs().vpc_ids(vpc_id).send().await.ok()?;
    out.vpcs().first()?.cidr_block().map(str::to_string)
}

/// A fresh account, a fake engine (kept alive by the caller) and the plugin configured for both.
async fn plugin() -> (String, FakeEngine, Plugin) {
    let account = support::fresh_account();
    let (engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    (account, engine, p)
}

/// The old fleet, `prefix` on 10.0.0.0/16: its checked inputs and its Create answer.
async fn made(p: &mut Plugin, prefix: &str) -> (Option<prost_types::Struct>, rpc::CreateResponse) {
    let checked = p.check_fleet(inputs(prefix, "10.0.0.0/16")).await.inputs;
    let old = p.create_fleet(checked.clone()).await.expect("create");
    (checked, old)
}

/// The replacement's checked inputs (`prefix` on 10.1.0.0/16) and Diff's answer to them.
async fn replacement(
    p: &mut Plugin,
    (old_inputs, old): (&Option<prost_types::Struct>, &rpc::CreateResponse),
    prefix: &str,
) -> (Option<prost_types::Struct>, rpc::DiffResponse) {
    let news = p.check_fleet(inputs(prefix, "10.1.0.0/16")).await.inputs;
    let d = p.client.diff(diff(old, old_inputs, &news)).await.unwrap();
    (news, d.into_inner())
}

#[tokio::test]
async fn a_replacement_with_the_same_prefix_deletes_the_old_fleet_first_and_stands_whole() {
    let (account, _engine, mut p) = plugin().await;
    let (old_inputs, old) = made(&mut p, "rep-5a1e").await;
    let parts = live_parts(&mut p, &old, &old_inputs).await;

    let (new_inputs, d) = replacement(&mut p, (&old_inputs, &old), "rep-5a1e").await;
    assert_eq!(d.replaces, ["vpcCidr"]);
    assert!(
        d.delete_before_replace,
        "the same names cannot stand twice: {d:?}"
    );

    // The engine's order for delete-before-replace: the old fleet goes, then the new one is made.
    p.client
        .delete(delete(&old, &old_inputs))
        .await
        .expect("delete the old fleet");
    let new = p
        .create_fleet(new_inputs.clone())
        .await
        .expect("create the replacement");
    let vpc = output(&new, "vpcId");
    assert_ne!(
        vpc,
        output(&old, "vpcId"),
        "a new VPC, not the old one adopted"
    );
    assert_eq!(
        vpc_cidr(&account, &vpc).await.as_deref(),
        Some("10.1.0.0/16")
    );
    assert_eq!(
        live_parts(&mut p, &new, &new_inputs).await,
        parts,
        "the replacement is whole"
    );

    p.client
        .delete(delete(&new, &new_inputs))
        .await
        .expect("delete");
    support::emulator().assert_no_leaks(&account);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn a_replacement_with_a_new_prefix_is_made_first_and_survives_the_old_fleets_delete() {
    let (account, _engine, mut p) = plugin().await;
    let (old_inputs, old) = made(&mut p, "rep-0ld0").await;

    let (new_inputs, d) = replacement(&mut p, (&old_inputs, &old), "rep-9e90").await;
    assert_eq!(d.replaces, ["namePrefix", "vpcCidr"]);
    assert!(
        !d.delete_before_replace,
        "a new name can stand beside the old fleet: {d:?}"
    );

    // The engine's default order: the replacement is made, then the old fleet is deleted.
    let new = p
        .create_fleet(new_inputs.clone())
        .await
        .expect("create the replacement");
    let parts = live_parts(&mut p, &new, &new_inputs).await;
    p.client
        .delete(delete(&old, &old_inputs))
        .await
        .expect("delete the old fleet");
    assert_eq!(
        live_parts(&mut p, &new, &new_inputs).await,
        parts,
        "nothing of the new fleet went with the old"
    );
    let vpc = output(&new, "vpcId");
    assert_eq!(
        vpc_cidr(&account, &vpc).await.as_deref(),
        Some("10.1.0.0/16")
    );

    p.client
        .delete(delete(&new, &new_inputs))
        .await
        .expect("delete");
    support::emulator().assert_no_leaks(&account);
    p.child.kill().await.ok();
}
