//! An update through the binary that stops part way: the engine then records the new inputs, and the
//! next `pulumi up` (same inputs) must still bring every object to them, not only make what is missing.

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::server::props::{decode_struct, Value};

mod support;

use support::plugin::*;

fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn inputs(team: &str) -> prost_types::Struct {
    props(vec![
        ("namePrefix", s("upd-7a9c")),
        ("cdn", object(vec![("enabled", Value::Bool(false))])),
        ("tags", object(vec![("team", s(team))])),
    ])
}

#[tokio::test]
async fn an_update_that_stopped_part_way_is_finished_by_the_next_one_with_the_same_inputs() {
    use rpc::diff_response::DiffChanges;
    let emu = support::emulator();
    let account = support::fresh_account();
    let (_engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    let first = p.check_fleet(inputs("web")).await.inputs;
    let made = p.create_fleet(first.clone()).await.expect("create");

    // The new tags reach everything but the load balancer and target group, whose AddTags fail.
    emu.control_post(
        "/profile",
        serde_json::json!({"faults": [{"operation": "elbv2:AddTags", "nth": [1, 2],
            "account": account, "kind": "error", "code": "InjectedFault", "message": "no", "status": 400}]}),
    );
    let second = p.check_fleet(inputs("platform")).await.inputs;
    let update = |olds: Option<prost_types::Struct>, old_inputs| rpc::UpdateRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds,
        news: second.clone(),
        old_inputs,
        timeout: 300.0,
        ..Default::default()
    };
    let err = p
        .client
        .update(update(made.properties.clone(), first.clone()))
        .await
        .expect_err("the AddTags fault stops the update");
    let failed = init_failed(&err);
    assert!(
        failed.reasons.iter().any(|r| r.contains("InjectedFault")),
        "{:?}",
        failed.reasons
    );
    let tg = match decode_struct(failed.properties.as_ref()).get("targetGroupArn") {
        Some(Value::String(arn)) => arn.clone(),
        other => panic!("no target group ARN: {other:?}"),
    };
    assert_eq!(team_of(&account, &tg).await, "web");

    // The engine recorded the new inputs with that state: same inputs now, yet there is work left.
    let diff = rpc::DiffRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: failed.properties.clone(),
        news: second.clone(),
        old_inputs: second.clone(),
        ..Default::default()
    };
    let d = p.client.diff(diff).await.unwrap().into_inner();
    assert_eq!(
        rpc::diff_response::DiffChanges::try_from(d.changes).unwrap(),
        DiffChanges::DiffSome,
        "{:?}",
        d.diffs
    );
    let done = p
        .client
        .update(update(failed.properties.clone(), second.clone()))
        .await
        .expect("the next update finishes")
        .into_inner();
    assert_eq!(team_of(&account, &tg).await, "platform");
    let state = decode_struct(done.properties.as_ref());
    assert!(!state.contains_key("__pendingFrom"), "finished: {state:?}");

    let delete = rpc::DeleteRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: done.properties.clone(),
        old_inputs: second.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    p.client.delete(delete).await.expect("delete");
    emu.assert_no_leaks(&account);
    p.child.kill().await.ok();
}

/// The `team` tag of a target group.
async fn team_of(account: &str, arn: &str) -> String {
    tag_of(account, arn, "team").await
}

/// One tag of a target group; empty when it has none.
async fn tag_of(account: &str, arn: &str, key: &str) -> String {
    let aws = support::clients(account).await;
    let out = aws
        .elbv2
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .unwrap();
    out.tag_descriptions()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn new_provider_default_tags_show_in_diff_and_reach_the_objects_on_update() {
    use rpc::diff_response::DiffChanges;
    let emu = support::emulator();
    let account = support::fresh_account();
    let defaults = |cost: &str| vec![("defaultTags", object(vec![("cost", s(cost))]))];
    let (_engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator_with(&account, defaults("a")).await;
    let given = props(vec![
        ("namePrefix", s("dft-3c1d")),
        ("cdn", object(vec![("enabled", Value::Bool(false))])),
    ]);
    let inputs = p.check_fleet(given).await.inputs;
    let made = p.create_fleet(inputs.clone()).await.expect("create");
    let tg = match decode_struct(made.properties.as_ref()).get("targetGroupArn") {
        Some(Value::String(arn)) => arn.clone(),
        other => panic!("no target group ARN: {other:?}"),
    };
    assert_eq!(tag_of(&account, &tg, "cost").await, "a");

    // Same program, new provider configuration (as after `pulumi config set`).
    let (_engine, addr) = start_engine().await;
    let mut p2 = start_plugin(&[&addr.to_string()]).await;
    p2.configure_emulator_with(&account, defaults("b")).await;
    let diff = |olds: Option<prost_types::Struct>| rpc::DiffRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds,
        news: inputs.clone(),
        old_inputs: inputs.clone(),
        ..Default::default()
    };
    let d = p2
        .client
        .diff(diff(made.properties.clone()))
        .await
        .unwrap()
        .into_inner();
    let changes =
        |d: &rpc::DiffResponse| rpc::diff_response::DiffChanges::try_from(d.changes).unwrap();
    assert_eq!(changes(&d), DiffChanges::DiffSome);
    assert_eq!(d.diffs, ["tags"]);
    let update = rpc::UpdateRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: made.properties.clone(),
        news: inputs.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    let done = p2.client.update(update).await.expect("update").into_inner();
    assert_eq!(tag_of(&account, &tg, "cost").await, "b");
    let group = match decode_struct(done.properties.as_ref()).get("autoScalingGroupName") {
        Some(Value::String(name)) => name.clone(),
        other => panic!("no group name: {other:?}"),
    };
    let aws = support::clients(&account).await;
    let g = support::describe_group(&aws, &group).await;
    let version = g
        .launch_template()
        .and_then(|t| t.version())
        .unwrap()
        .to_string();
    let template = g
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .unwrap();
    let launched = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template)
        .versions(version)
        .send()
        .await
        .unwrap();
    let spec = format!(
        "{:?}",
        launched.launch_template_versions()[0].launch_template_data()
    );
    assert!(
        spec.contains("\"b\""),
        "new instances launch with the new default tags: {spec}"
    );
    for i in support::group_instances(&aws, &group).await {
        let cost = i
            .tags()
            .iter()
            .find(|t| t.key() == Some("cost"))
            .and_then(|t| t.value());
        assert_eq!(cost, Some("b"), "running instance {:?}", i.instance_id());
    }
    let d = p2
        .client
        .diff(diff(done.properties.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changes(&d), DiffChanges::DiffNone, "{:?}", d.diffs);

    let delete = rpc::DeleteRequest {
        id: made.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: done.properties.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    p2.client.delete(delete).await.expect("delete");
    emu.assert_no_leaks(&account);
    p.child.kill().await.ok();
    p2.child.kill().await.ok();
}
