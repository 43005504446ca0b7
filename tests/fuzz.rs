//! Fuzzing the RPCs that take the program's values before anything touches AWS: arbitrary protobuf
//! values (nested, unicode, huge, wrong types, unknown sentinels and secrets at any depth, around the
//! inputs' real property names) go to Check, CheckConfig, Diff and DiffConfig of an in-process
//! provider. None may panic or hang, and every failure names a property and says why.
//!
//! `EC2FLEET_FUZZ_CASES` sets the number of cases (256 by default, as CI runs it); `make fuzz` runs a
//! million and prints the count and time.

use std::time::{Duration, Instant};

use ec2fleet::proto::pulumirpc as rpc;
use ec2fleet::proto::pulumirpc::resource_provider_server::ResourceProvider;
use ec2fleet::server::Provider;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};
use tonic::{Code, Request};

const URN: &str = "urn:pulumi:dev::proj::ec2fleet:index:Ec2Fleet::web";
const FLEET: &str = "ec2fleet:index:Ec2Fleet";

/// Names the inputs and the configuration really have, so values reach their checks.
const KEYS: [&str; 40] = [
    "namePrefix",
    "vpcCidr",
    "availabilityZones",
    "instanceType",
    "ami",
    "keyName",
    "sshIngressCidrs",
    "nodeVersion",
    "userData",
    "appPort",
    "minCapacity",
    "maxCapacity",
    "desiredCapacity",
    "scheduledActions",
    "listenerPort",
    "certificateArn",
    "healthCheck",
    "deregistrationDelaySeconds",
    "deploymentConfig",
    "sourceKey",
    "forceDestroy",
    "cdn",
    "dns",
    "tags",
    "enabled",
    "aliases",
    "defaultTtl",
    "maxTtl",
    "hostedZoneId",
    "zoneName",
    "recordName",
    "cron",
    "timeZone",
    "path",
    "region",
    "endpoints",
    "defaultTags",
    "maxRetries",
    "accessKey",
    "__tagsAll",
];

/// Strings that mean something on the wire: the unknown sentinels and the special-value signature.
const SPECIAL: [&str; 5] = [
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "4dabf18193072939515e22adb298388d",
    "1b47061264138c4ac30d75fd1eb44270",
    "5cf8f73096256a8f31e491e813e4eb8e",
];

fn v(kind: Kind) -> Value {
    Value { kind: Some(kind) }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value { kind: None }),
        Just(v(Kind::NullValue(0))),
        any::<bool>().prop_map(|b| v(Kind::BoolValue(b))),
        any::<f64>().prop_map(|n| v(Kind::NumberValue(n))),
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(65536.0),
            Just(4294967296.0),
            Just(1e300)
        ]
        .prop_map(|n| v(Kind::NumberValue(n))),
        ".{0,40}".prop_map(|s| v(Kind::StringValue(s))),
        prop::sample::select(SPECIAL.to_vec()).prop_map(|s| v(Kind::StringValue(s.into()))),
        (1usize..200_000).prop_map(|n| v(Kind::StringValue("é".repeat(n % 20_000)))),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS.to_vec()).prop_map(str::to_string),
        1 => ".{0,12}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6)
                .prop_map(|values| v(Kind::ListValue(ListValue { values }))),
            prop::collection::btree_map(key(), inner.clone(), 0..6).prop_map(|m| v(
                Kind::StructValue(Struct {
                    fields: m.into_iter().collect()
                })
            )),
            // A secret (or a wrongly shaped special value) around anything.
            (inner, prop::sample::select(SPECIAL[2..].to_vec())).prop_map(|(x, sig)| {
                let fields = [
                    (
                        "4dabf18193072939515e22adb298388d".to_string(),
                        v(Kind::StringValue(sig.into())),
                    ),
                    ("value".to_string(), x),
                ];
                v(Kind::StructValue(Struct {
                    fields: fields.into_iter().collect(),
                }))
            }),
        ]
    })
}

fn props() -> impl Strategy<Value = Struct> {
    prop::collection::btree_map(key(), value(), 0..10).prop_map(|m| Struct {
        fields: m.into_iter().collect(),
    })
}

/// Every failure of a Check names its property and says why.
fn named(failures: &[rpc::CheckFailure]) -> Result<(), TestCaseError> {
    for f in failures {
        prop_assert!(!f.property.is_empty() && !f.reason.is_empty(), "{f:?}");
    }
    Ok(())
}

/// Runs one RPC, within a bound: a hang fails the case.
async fn bounded<T>(
    what: &str,
    call: impl std::future::Future<Output = T>,
) -> Result<T, TestCaseError> {
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .map_err(|_| TestCaseError::fail(format!("{what} hung")))
}

/// A Diff may refuse what it cannot read, but with a reason, never as a crash.
fn answered<T>(what: &str, r: Result<T, tonic::Status>) -> Result<(), TestCaseError> {
    if let Err(s) = r {
        prop_assert!(
            s.code() != Code::Internal && s.code() != Code::Unknown,
            "{what}: {s:?}"
        );
        prop_assert!(!s.message().is_empty(), "{what}: a status without a reason");
    }
    Ok(())
}

async fn one_case(p: &Provider, news: Struct, olds: Struct) -> Result<(), TestCaseError> {
    let check = rpc::CheckRequest {
        urn: URN.into(),
        name: "web".into(),
        r#type: FLEET.into(),
        news: Some(news.clone()),
        olds: Some(olds.clone()),
        random_seed: vec![7; 32],
        ..Default::default()
    };
    let checked = bounded("Check", p.check(Request::new(check.clone()))).await?;
    let checked = checked.map_err(|s| TestCaseError::fail(format!("Check errored: {s:?}")))?;
    named(&checked.get_ref().failures)?;
    let config = bounded("CheckConfig", p.check_config(Request::new(check))).await?;
    let config = config.map_err(|s| TestCaseError::fail(format!("CheckConfig errored: {s:?}")))?;
    named(&config.get_ref().failures)?;
    let diff = rpc::DiffRequest {
        urn: URN.into(),
        r#type: FLEET.into(),
        id: "web-1234567".into(),
        olds: Some(olds.clone()),
        news: Some(news.clone()),
        old_inputs: Some(olds),
        ..Default::default()
    };
    answered(
        "Diff",
        bounded("Diff", p.diff(Request::new(diff.clone()))).await?,
    )?;
    answered(
        "DiffConfig",
        bounded("DiffConfig", p.diff_config(Request::new(diff))).await?,
    )?;
    Ok(())
}

#[test]
fn check_check_config_and_diff_survive_arbitrary_values() {
    let cases: u32 = std::env::var("EC2FLEET_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let provider = Provider::new(None);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let result = runner.run(&(props(), props()), |(news, olds)| {
        rt.block_on(one_case(&provider, news, olds))
    });
    println!(
        "fuzz: {cases} cases (Check, CheckConfig, Diff, DiffConfig each) in {:.1}s, {}",
        started.elapsed().as_secs_f64(),
        if result.is_ok() {
            "0 failures"
        } else {
            "FAILED"
        }
    );
    result.unwrap();
}
