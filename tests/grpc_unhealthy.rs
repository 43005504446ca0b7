//! Targets that fail the load balancer's health checks, through the binary: once Auto Scaling
//! replaces one (its grace period over, on the emulator's clock), the create fails at once with the
//! targets' reasons and hands the engine what it made; an update with the health check fixed
//! finishes the fleet from that state. This binary owns its emulator's clock.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::server::props::{decode_struct, Value};
use serde_json::json;
use support::plugin::*;

/// Moves the emulator's clock 30 s ahead every second until the flag is lowered.
fn tick(running: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while running.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_secs(1));
            support::emulator().control_post("/clock/advance", json!({"seconds": 30}));
        }
    })
}

fn inputs_with_path(path: &str) -> prost_types::Struct {
    let object = |k: &str, v: Value| Value::Object([(k.to_string(), v)].into());
    props(vec![
        ("namePrefix", s("web-unhea1")),
        ("healthCheck", object("path", s(path))),
        ("cdn", object("enabled", Value::Bool(false))),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_health_checks_fail_the_create_with_aws_reasons_and_a_fixed_path_finishes_it() {
    let emu = support::emulator();
    let account = support::fresh_account();
    // The app answers 404 on /healthz (it serves only /), as when the path is mistyped.
    emu.control_post(
        "/elbv2/answers",
        json!({"account": account, "path": "/healthz", "code": 404}),
    );
    let (_engine, addr) = start_engine().await;
    let mut p = start_plugin(&[&addr.to_string()]).await;
    p.configure_emulator(&account).await;
    let first = p.check_fleet(inputs_with_path("/healthz")).await.inputs;

    let running = Arc::new(AtomicBool::new(true));
    let clock = tick(running.clone());
    let started = Instant::now();
    let err = p
        .create_fleet(first.clone())
        .await
        .expect_err("no target ever passes");
    let took = started.elapsed();
    running.store(false, Ordering::Relaxed);
    clock.join().unwrap();
    // The grace period is 300 s of emulated time, 10 s here; the next poll sees the replacement.
    assert!(took < Duration::from_secs(60), "failed after {took:?}");
    let failed = init_failed(&err);
    let said = failed.reasons.join("\n");
    assert!(said.contains("TargetGroup"), "{said}");
    assert!(
        said.contains("Health checks failed with these codes: [404] (Target.ResponseCodeMismatch)"),
        "{said}"
    );
    assert!(said.contains("Auto Scaling replaced i-"), "{said}");
    assert!(said.contains("healthCheck.path (/healthz)"), "{said}");
    let state = decode_struct(failed.properties.as_ref());
    assert!(
        matches!(state.get("__fleet"), Some(Value::Object(r)) if r.contains_key("autoScalingGroup")),
        "the engine keeps what was made: {state:?}"
    );

    // The user points the check at what the app serves; the update finishes from the kept state.
    let fixed = p.check_fleet(inputs_with_path("/")).await.inputs;
    let update = rpc::UpdateRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        olds: failed.properties.clone(),
        news: fixed.clone(),
        old_inputs: first,
        timeout: 300.0,
        ..Default::default()
    };
    let done = p.client.update(update).await.expect("update").into_inner();
    let delete = rpc::DeleteRequest {
        id: failed.id.clone(),
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: done.properties,
        old_inputs: fixed,
        timeout: 300.0,
        ..Default::default()
    };
    p.client.delete(delete).await.expect("delete");
    emu.assert_no_leaks(&account);
    p.child.kill().await.ok();
}
