//! Starts the provider binary the way the engine does (engine address as the last argument), reads the
//! port it prints, and drives it through a real gRPC client while a fake Engine records its Log calls.

use std::time::Duration;

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::server::props::{decode_struct, PropertyMap, UnknownKind, Value};
use tonic::{Code, Request};

mod support;

use support::plugin::*;

#[tokio::test]
async fn the_plugin_prints_only_its_port_and_accepts_the_engines_handshake() {
    let (_engine, engine_addr) = start_engine().await;
    let mut p = start_plugin(&["--logtostderr", "-v=9", &engine_addr.to_string()]).await;
    assert_eq!(p.stdout_rest, "", "nothing but the port may be printed");

    let hs = p
        .client
        .handshake(rpc::ProviderHandshakeRequest {
            engine_address: engine_addr.to_string(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(hs.accept_secrets && hs.accept_resources && hs.supports_autonaming_configuration);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn plugin_info_has_the_crates_version_and_get_schema_serves_the_committed_schema() {
    let mut p = start_plugin(&[]).await;
    let info = p.client.get_plugin_info(()).await.unwrap().into_inner();
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));

    let schema = p
        .client
        .get_schema(rpc::GetSchemaRequest::default())
        .await
        .unwrap()
        .into_inner()
        .schema;
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    // The file the SDKs are generated from is what the binary serves (equal as JSON values).
    let committed = include_str!("../sdk-schema/schema.json");
    let committed: serde_json::Value = serde_json::from_str(committed).unwrap();
    assert_eq!(schema, committed, "run `make schema`");
    assert_eq!(schema["version"], env!("CARGO_PKG_VERSION"));
    p.child.kill().await.ok();
}

#[tokio::test]
async fn check_config_passes_a_good_configuration() {
    let mut p = start_plugin(&[]).await;
    let good = p
        .client
        .check_config(rpc::CheckRequest {
            urn: "urn:pulumi:dev::proj::pulumi:providers:ec2fleet::default".into(),
            news: Some(config_ok()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(good.failures.is_empty(), "{:?}", good.failures);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn check_config_names_every_bad_setting_with_a_reason() {
    let mut p = start_plugin(&[]).await;
    let bad_cfg = props(vec![
        ("region", s("moon-1")),
        ("endpoints", s(r#"{"ecs": "http://127.0.0.1:1"}"#)),
        ("maxRetries", s("0")),
    ]);
    let bad = p
        .client
        .check_config(rpc::CheckRequest {
            news: Some(bad_cfg),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let keys: Vec<_> = bad.failures.iter().map(|f| f.property.as_str()).collect();
    assert!(
        keys.contains(&"endpoints.ecs") && keys.contains(&"maxRetries"),
        "{:?}",
        bad.failures
    );
    assert!(bad.failures.iter().all(|f| !f.reason.is_empty()));
    p.child.kill().await.ok();
}

#[tokio::test]
async fn configure_accepts_secrets_and_supports_preview() {
    let mut p = start_plugin(&[]).await;
    let cfg = p
        .client
        .configure(rpc::ConfigureRequest {
            args: Some(config_ok()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(cfg.accept_secrets && cfg.supports_preview);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn a_warning_for_a_risky_input_reaches_the_engines_log_attached_to_the_resource() {
    let (engine, engine_addr) = start_engine().await;
    let mut p = start_plugin(&[&engine_addr.to_string()]).await;
    p.configure_offline().await;
    let news = props(vec![(
        "sshIngressCidrs",
        Value::Array(vec![s("0.0.0.0/0")]),
    )]);
    let checked = p.check_fleet(news).await;
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let logs = engine.logs.lock().unwrap().clone();
    assert!(
        logs.iter().any(|l| l.urn == URN
            && l.severity == rpc::LogSeverity::Warning as i32
            && l.message.contains("port 22")),
        "{logs:?}"
    );
    p.child.kill().await.ok();
}

#[tokio::test]
async fn configure_reports_unusable_credentials_clearly() {
    let mut p = start_plugin(&[]).await;
    let cfg = props(vec![
        ("region", s("us-east-1")),
        ("accessKey", Value::Secret(Box::new(s("AKIDEXAMPLE")))),
        ("secretKey", Value::Secret(Box::new(s("secret")))),
        (
            "endpoints",
            Value::Object([("sts".to_string(), s("http://127.0.0.1:9"))].into()),
        ),
        ("maxRetries", Value::Number(1.0)),
    ]);
    let err = p
        .client
        .configure(rpc::ConfigureRequest {
            args: Some(cfg),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("could not be validated")
            && err.message().contains("GetCallerIdentity"),
        "{}",
        err.message()
    );
    p.child.kill().await.ok();
}

#[tokio::test]
async fn check_then_preview_create_fills_defaults_and_marks_outputs_unknown() {
    let mut p = start_plugin(&[]).await;
    p.configure_offline().await;
    let news = props(vec![
        ("minCapacity", Value::Number(2.0)),
        ("keyName", Value::Unknown(UnknownKind::String)),
        (
            "tags",
            Value::Object([("team".to_string(), Value::Secret(Box::new(s("blue"))))].into()),
        ),
    ]);
    let autonaming = rpc::check_request::AutonamingOptions {
        proposed_name: "web-abc1234".into(),
        mode: 0,
    };
    let checked = p
        .client
        .check(rpc::CheckRequest {
            urn: URN.into(),
            name: "web".into(),
            r#type: FLEET.into(),
            news: Some(news),
            autonaming: Some(autonaming),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let inputs = decode_struct(checked.inputs.as_ref());
    assert_eq!(inputs["namePrefix"], s("web-abc1234"));
    assert_eq!(inputs["appPort"], Value::Number(3000.0));
    assert_eq!(
        inputs["keyName"],
        Value::Unknown(UnknownKind::String),
        "unknowns stay unknown"
    );
    let Value::Object(tags) = &inputs["tags"] else {
        panic!("tags: {:?}", inputs["tags"])
    };
    assert_eq!(
        tags["team"],
        Value::Secret(Box::new(s("blue"))),
        "secrets stay secret"
    );

    let created = p
        .client
        .create(rpc::CreateRequest {
            urn: URN.into(),
            r#type: FLEET.into(),
            properties: checked.inputs.clone(),
            preview: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let state: PropertyMap = decode_struct(created.properties.as_ref());
    assert_eq!(state["vpcId"], Value::Unknown(UnknownKind::String));
    assert_eq!(state["subnetIds"], Value::Unknown(UnknownKind::Array));
    assert_eq!(
        state["namePrefix"],
        s("web-abc1234"),
        "known outputs stay known in preview"
    );
    assert_eq!(state["minCapacity"], Value::Number(2.0));

    p.child.kill().await.ok();
}

#[tokio::test]
async fn bad_inputs_fail_check_with_every_property_named() {
    let mut p = start_plugin(&[]).await;
    p.configure_offline().await;
    let news = props(vec![
        ("vpcCidr", s("10.0.0.1/16")),
        (
            "availabilityZones",
            Value::Array(vec![s("eu-west-2a"), s("eu-west-2b")]),
        ),
        (
            "cdn",
            Value::Object(
                [(
                    "certificateArn".to_string(),
                    s("arn:aws:acm:eu-west-2:123456789012:certificate/x"),
                )]
                .into(),
            ),
        ),
    ]);
    let checked = p.check_fleet(news).await;
    let props: Vec<_> = checked
        .failures
        .iter()
        .map(|f| f.property.as_str())
        .collect();
    for want in ["vpcCidr", "availabilityZones[0]", "cdn.certificateArn"] {
        assert!(
            props.contains(&want),
            "missing failure for {want}: {:?}",
            checked.failures
        );
    }
    let wrong_type = p
        .client
        .check(rpc::CheckRequest {
            urn: "urn:pulumi:dev::proj::ec2fleet:index:Other::x".into(),
            r#type: "ec2fleet:index:Other".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(wrong_type.code(), Code::InvalidArgument);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let mut p = start_plugin(&[]).await;
    let pid = p.child.id().unwrap() as i32;
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), p.child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "clean exit expected, got {status:?}");
}

#[tokio::test]
async fn diff_config_flags_a_region_change_as_a_replacement() {
    let mut p = start_plugin(&[]).await;
    let olds = props(vec![("region", s("us-east-1")), ("maxRetries", s("3"))]);
    let same = p
        .client
        .diff_config(rpc::DiffRequest {
            old_inputs: Some(olds.clone()),
            news: Some(olds.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        same.changes,
        rpc::diff_response::DiffChanges::DiffNone as i32
    );
    let news = props(vec![("region", s("eu-west-2")), ("maxRetries", s("5"))]);
    let moved = p
        .client
        .diff_config(rpc::DiffRequest {
            old_inputs: Some(olds),
            news: Some(news),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        moved.changes,
        rpc::diff_response::DiffChanges::DiffSome as i32
    );
    assert_eq!(
        moved.diffs,
        vec!["maxRetries".to_string(), "region".to_string()]
    );
    assert_eq!(moved.replaces, vec!["region".to_string()]);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn attach_mode_serves_without_an_address_and_logs_after_attach() {
    let (engine, engine_addr) = start_engine().await;
    let mut p = start_plugin(&[]).await;
    p.client
        .attach(rpc::PluginAttach {
            address: engine_addr.to_string(),
        })
        .await
        .unwrap();
    p.configure_offline().await;
    let news = props(vec![(
        "cdn",
        Value::Object([("enabled".to_string(), Value::Bool(false))].into()),
    )]);
    p.check_fleet(news).await;
    let logs = engine.logs.lock().unwrap().clone();
    assert!(
        logs.iter()
            .any(|l| l.message.contains("whole internet") && l.urn == URN),
        "{logs:?}"
    );
    p.child.kill().await.ok();
}

#[tokio::test]
async fn configure_validates_credentials_with_sts_and_preview_makes_no_other_call() {
    let emu = support::emulator();
    let account = support::fresh_account();
    let mut p = start_plugin(&[]).await;
    p.configure_emulator(&account).await;
    let checked = p.check_fleet(props(vec![])).await;
    let preview = rpc::CreateRequest {
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: checked.inputs,
        preview: true,
        ..Default::default()
    };
    p.client.create(preview).await.unwrap();
    let calls = emu.calls(&account);
    let ops: Vec<_> = calls
        .iter()
        .map(|c| c["operation"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(
        ops,
        vec!["GetCallerIdentity".to_string()],
        "a preview must not touch AWS beyond the credential check"
    );
    p.child.kill().await.ok();
}

/// Reads one length-delimited appdash packet and flattens its fields (groups opened inline) to
/// (field number, value) pairs: fixed64 as numbers, bytes as text.
async fn read_appdash_packet(sock: &mut tokio::net::TcpStream) -> Vec<(u64, String)> {
    use tokio::io::AsyncReadExt;
    async fn varint(s: &mut tokio::net::TcpStream) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = s.read_u8().await.unwrap();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let len = varint(sock).await as usize;
    let mut buf = vec![0; len];
    sock.read_exact(&mut buf).await.unwrap();
    let (mut out, mut i) = (Vec::new(), 0);
    let next_varint = |i: &mut usize| {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = buf[*i];
            *i += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    };
    while i < buf.len() {
        let tag = next_varint(&mut i);
        match tag & 7 {
            1 => {
                out.push((
                    tag >> 3,
                    u64::from_le_bytes(buf[i..i + 8].try_into().unwrap()).to_string(),
                ));
                i += 8;
            }
            2 => {
                let n = next_varint(&mut i) as usize;
                out.push((
                    tag >> 3,
                    String::from_utf8_lossy(&buf[i..i + n]).into_owned(),
                ));
                i += n;
            }
            3 | 4 => {}
            other => panic!("unexpected wire type {other}"),
        }
    }
    out
}

#[tokio::test]
async fn rpcs_are_traced_as_children_of_the_engine_span() {
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("tcp://{}", collector.local_addr().unwrap());
    let mut p = start_plugin(&["--tracing", &endpoint]).await;
    let mut req = Request::new(());
    req.metadata_mut()
        .insert("ot-tracer-traceid", "abc".parse().unwrap());
    req.metadata_mut()
        .insert("ot-tracer-spanid", "def".parse().unwrap());
    p.client.get_plugin_info(req).await.unwrap();
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(10), collector.accept())
        .await
        .expect("the provider connects to the collector")
        .unwrap();
    let fields = read_appdash_packet(&mut sock).await;
    assert!(
        fields.contains(&(2, 0xabc.to_string())),
        "trace id: {fields:?}"
    );
    assert!(
        fields.contains(&(4, 0xdef.to_string())),
        "parent span: {fields:?}"
    );
    let pos = fields
        .iter()
        .position(|f| *f == (6, "Name".to_string()))
        .expect("a Name annotation");
    assert_eq!(
        fields[pos + 1],
        (7, "/pulumirpc.ResourceProvider/GetPluginInfo".to_string())
    );
    assert!(fields.contains(&(6, "_schema:Timespan".to_string())));
    p.child.kill().await.ok();
}

fn changes(d: &rpc::DiffResponse) -> rpc::diff_response::DiffChanges {
    rpc::diff_response::DiffChanges::try_from(d.changes).unwrap()
}

#[tokio::test]
async fn a_failed_create_hands_over_the_partial_fleet_and_the_next_update_finishes_it() {
    use rpc::diff_response::DiffChanges;
    let emu = support::emulator();
    let account = support::fresh_account();
    let (engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    emu.control_post(
        "/profile",
        serde_json::json!({"faults": [{"operation": "codepipeline:CreatePipeline", "nth": [1],
            "account": account, "kind": "error", "code": "InjectedFault", "message": "no", "status": 400}]}),
    );
    let inputs = p
        .check_fleet(props(vec![(
            "cdn",
            Value::Object([("enabled".to_string(), Value::Bool(false))].into()),
        )]))
        .await
        .inputs;
    let err = p
        .create_fleet(inputs.clone())
        .await
        .expect_err("the pipeline fault stops the create");
    let failed = init_failed(&err);
    let state = decode_struct(failed.properties.as_ref());
    let Some(Value::Object(records)) = state.get("__fleet") else {
        panic!("the partial state records the sub-resources: {state:?}")
    };
    assert!(records.contains_key("vpc") && records.contains_key("deploymentGroup"));
    assert!(!records.contains_key("pipeline") && !records.contains_key("eventRule"));
    assert!(failed.id.starts_with("web-"), "{}", failed.id);
    assert!(
        failed
            .reasons
            .iter()
            .any(|r| r.starts_with("Pipeline:") && r.contains("InjectedFault")),
        "{:?}",
        failed.reasons
    );

    // The engine records that state; the next `pulumi up` diffs and updates it.
    let diff = |olds: prost_types::Struct| rpc::DiffRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: Some(olds),
        news: inputs.clone(),
        old_inputs: inputs.clone(),
        ..Default::default()
    };
    let d = p
        .client
        .diff(diff(failed.properties.clone().unwrap()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        changes(&d),
        DiffChanges::DiffSome,
        "an incomplete fleet needs an update"
    );
    let vpcs_before = emu
        .calls(&account)
        .iter()
        .filter(|c| c["operation"] == "CreateVpc")
        .count();
    let update = rpc::UpdateRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: failed.properties.clone(),
        news: inputs.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    let updated = p
        .client
        .update(update)
        .await
        .expect("update finishes the fleet")
        .into_inner();
    let after = decode_struct(updated.properties.as_ref());
    assert!(
        matches!(after.get("pipelineName"), Some(Value::String(n)) if n.ends_with("-pipeline"))
    );
    let vpcs_after = emu
        .calls(&account)
        .iter()
        .filter(|c| c["operation"] == "CreateVpc")
        .count();
    assert_eq!(
        vpcs_after, vpcs_before,
        "the update made only what was missing"
    );

    // Refresh: nothing drifted; the diff is then empty.
    let read = rpc::ReadRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: updated.properties.clone(),
        inputs: inputs.clone(),
        ..Default::default()
    };
    let got = p.client.read(read).await.unwrap().into_inner();
    assert_eq!(got.id, failed.id);
    assert_eq!(
        decode_struct(got.properties.as_ref()).get("__fleet"),
        after.get("__fleet")
    );
    let d = p
        .client
        .diff(diff(got.properties.clone().unwrap()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changes(&d), DiffChanges::DiffNone, "{:?}", d.diffs);

    let delete = rpc::DeleteRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: updated.properties.clone(),
        old_inputs: inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    p.client.delete(delete).await.expect("delete");
    emu.assert_no_leaks(&account);
    let logs = engine.logs.lock().unwrap().clone();
    for want in [
        "is serving: 27 sub-resources",
        "is gone: 27 sub-resources deleted",
    ] {
        assert!(
            logs.iter()
                .any(|l| l.urn == URN && l.message.contains(want)),
            "no {want:?} line among {:?}",
            logs.iter().map(|l| &l.message).collect::<Vec<_>>()
        );
    }
    p.child.kill().await.ok();
}

#[tokio::test]
async fn a_read_with_only_the_id_imports_the_fleet_with_its_inputs_and_origin_secret() {
    let account = support::fresh_account();
    let (_engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    let inputs = p
        // Its own prefix: bucket names are global, and other tests' fleets are autonamed `web-…`.
        .check_fleet(props(vec![
            ("namePrefix", s("imported")),
            ("instanceType", s("t3.small")),
        ]))
        .await
        .inputs;
    let made = p.create_fleet(inputs).await.expect("create");
    let state = decode_struct(made.properties.as_ref());

    // `pulumi import ec2fleet:index:Ec2Fleet web <id>`: a Read with the ID and nothing else.
    let import = |id: &str| rpc::ReadRequest {
        id: id.into(),
        urn: URN.into(),
        r#type: FLEET.into(),
        ..Default::default()
    };
    let got = p
        .client
        .read(import(&made.id))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(got.id, made.id);
    let imported = decode_struct(got.properties.as_ref());
    assert_eq!(imported.get("__fleet"), state.get("__fleet"));
    assert_eq!(
        imported.get("__originSecret"),
        state.get("__originSecret"),
        "the listeners' secret is kept, so CloudFront's header stays valid"
    );
    let got_inputs = decode_struct(got.inputs.as_ref());
    assert_eq!(got_inputs.get("instanceType"), Some(&s("t3.small")));
    assert_eq!(got_inputs.get("namePrefix"), Some(&s(&made.id)));

    let missing = p
        .client
        .read(import("web-absent"))
        .await
        .expect("a fleet that is not there is not found, not an error")
        .into_inner();
    assert_eq!(missing.id, "");

    let delete = rpc::DeleteRequest {
        id: got.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: got.properties.clone(),
        old_inputs: got.inputs.clone(),
        timeout: 300.0,
        ..Default::default()
    };
    p.client.delete(delete).await.expect("delete");
    support::emulator().assert_no_leaks(&account);
    p.child.kill().await.ok();
}

#[tokio::test]
async fn check_marks_the_environment_secret_and_a_bad_name_never_shows_a_value() {
    let mut p = start_plugin(&[]).await;
    p.configure_offline().await;
    let env = |pairs: &[(&str, &str)]| {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
    };
    let checked = p
        .check_fleet(props(vec![(
            "environment",
            env(&[("DB_PASSWORD", "pw-7f3a")]),
        )]))
        .await;
    assert!(checked.failures.is_empty(), "{:?}", checked.failures);
    let inputs = decode_struct(checked.inputs.as_ref());
    assert_eq!(
        inputs["environment"],
        Value::Secret(Box::new(env(&[("DB_PASSWORD", "pw-7f3a")]))),
        "a plain environment comes back secret, so the engine stores and shows it masked"
    );
    let bad = p
        .check_fleet(props(vec![(
            "environment",
            env(&[("DB-PASSWORD", "pw-7f3a")]),
        )]))
        .await;
    assert_eq!(bad.failures.len(), 1, "{:?}", bad.failures);
    assert_eq!(bad.failures[0].property, "environment.DB-PASSWORD");
    assert!(!bad.failures[0].reason.contains("pw-7f3a"));
    p.child.kill().await.ok();
}
