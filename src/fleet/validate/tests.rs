//! Table tests per class of input: strings, numbers, sizes, schedules, combinations. Every table
//! holds cases that the checks before this module's split let through.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::fleet::naming::Autonaming;
use crate::fleet::{check, CheckRequest, FleetArgs, InputError};

fn run_with(
    news: Value,
    default_tags: &BTreeMap<String, String>,
) -> Result<FleetArgs, Vec<InputError>> {
    check(CheckRequest {
        news,
        unknown: BTreeSet::new(),
        previous_prefix: None,
        autonaming: Autonaming::Propose("web-1234567".into()),
        region: Some("us-east-1"),
        default_tags,
    })
}

fn run(news: Value) -> Result<FleetArgs, Vec<InputError>> {
    run_with(news, &BTreeMap::new())
}

/// Each case is refused with a failure on `property` whose reason holds `says`; every case's
/// failures, for tables that check more about them.
fn refused(cases: Vec<(Value, &str, &str)>) -> Vec<Vec<InputError>> {
    let mut all = Vec::new();
    for (news, property, says) in cases {
        let errs = run(news.clone()).expect_err(&format!("{news} should be refused"));
        assert!(
            errs.iter()
                .any(|e| e.property == property && e.reason.contains(says)),
            "{news}: wanted {property} saying {says:?}, got {errs:?}"
        );
        all.push(errs);
    }
    all
}

fn accepted(cases: Vec<Value>) {
    for news in cases {
        if let Err(errs) = run(news.clone()) {
            panic!("{news} should pass: {errs:?}");
        }
    }
}

fn tags(n: usize) -> BTreeMap<String, String> {
    (0..n).map(|i| (format!("k{i}"), "v".to_string())).collect()
}

#[test]
fn strings_that_reach_tags_scripts_names_and_policies() {
    refused(vec![
        (
            json!({"tags": {"team;x": "a"}}),
            "tags.team;x",
            "_ . : / = + - @",
        ),
        (json!({"tags": {"team": "a<b>"}}), "tags.team", "'<'"),
        // Rust calls these alphanumeric; AWS's \p{L}\p{N} does not: a combining mark, a circled letter.
        (
            json!({"tags": {"team": "e\u{301}"}}),
            "tags.team",
            "'\\u{301}'",
        ),
        (
            json!({"tags": {"\u{24d0}": "v"}}),
            "tags.\u{24d0}",
            "'\u{24d0}'",
        ),
        (
            json!({"tags": {"ec2fleet:fleet": "other"}}),
            "tags.ec2fleet:fleet",
            "the fleet's own",
        ),
        (
            json!({"tags": {"AWS:x": "v"}}),
            "tags.AWS:x",
            "reserved by AWS",
        ),
        (
            json!({"tags": {"team": ""}}),
            "tags.team",
            "CloudTrail refuses",
        ),
        (
            json!({"tags": {"k": "é".repeat(257)}}),
            "tags.k",
            "257 characters",
        ),
        (
            json!({"healthCheck": {"path": "/health check"}}),
            "healthCheck.path",
            "' '",
        ),
        (
            json!({"healthCheck": {"path": "/a\"b"}}),
            "healthCheck.path",
            "percent-encode",
        ),
        (
            json!({"sourceKey": "releases/*.zip"}),
            "sourceKey",
            "wildcards",
        ),
        (
            json!({"sourceKey": "releases//app.zip"}),
            "sourceKey",
            "segment",
        ),
        (json!({"keyName": "my\nkey"}), "keyName", "printable ASCII"),
        (
            json!({"ami": "ami-1234567890"}),
            "ami",
            "8 or 17 hex digits",
        ),
        (
            json!({"scheduledActions": [{"name": "up:now", "cron": "0 10 * * *", "minCapacity": 1, "maxCapacity": 2}]}),
            "scheduledActions[0].name",
            "':'",
        ),
        (json!({"userData": "echo a\u{0}b"}), "userData", "NUL"),
        (
            json!({"assets": {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "path": "/no/such/assets"}}),
            "assets",
            "/no/such/assets",
        ),
        (
            json!({"assets": {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "uri": "https://example.com/a.zip"}}),
            "assets",
            "remote archive",
        ),
    ]);
    accepted(vec![
        json!({"tags": {"team": "blue", "cost center": "R+D/42"}}),
        json!({"tags": {"k": "é".repeat(256)}}),
        json!({"tags": {"Name": "my-fleet"}}),
        json!({"tags": {"チーム": "青\u{a0}٣"}}),
        json!({"healthCheck": {"path": "/health?deep=1&x=%20"}}),
        json!({"sourceKey": "releases/app-1.2_(final).zip"}),
    ]);
}

#[test]
fn numbers_within_aws_bounds_never_wrapped() {
    let big = 3_000_000_000u64;
    let action = |max: u64| json!([{"name": "n", "cron": "0 10 * * *", "minCapacity": 0, "maxCapacity": max}]);
    let cidrs: Vec<String> = (0..60).map(|i| format!("10.1.{i}.0/24")).collect();
    let many_actions: Vec<Value> = (0..126)
        .map(|i| json!({"name": format!("a{i}"), "cron": "0 10 * * *", "minCapacity": 1, "maxCapacity": 2}))
        .collect();
    let aliases: Vec<String> = (0..101).map(|i| format!("a{i}.example.com")).collect();
    refused(vec![
        (
            json!({"minCapacity": 1, "maxCapacity": big}),
            "maxCapacity",
            "2147483647",
        ),
        (
            json!({"scheduledActions": action(big)}),
            "scheduledActions[0].maxCapacity",
            "2147483647",
        ),
        (
            json!({"sshIngressCidrs": cidrs}),
            "sshIngressCidrs",
            "at most 59",
        ),
        (
            json!({"sshIngressCidrs": ["10.0.0.0/8", "10.0.0.0/8"]}),
            "sshIngressCidrs[1]",
            "twice",
        ),
        (
            json!({"scheduledActions": many_actions}),
            "scheduledActions",
            "at most 125",
        ),
        (
            json!({"cdn": {"aliases": aliases, "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}}),
            "cdn.aliases",
            "at most 100",
        ),
        (
            json!({"cdn": {"minTtl": 0, "defaultTtl": 0, "maxTtl": 0}}),
            "cdn.maxTtl",
            "at least 1",
        ),
        (json!({"appPort": 70000}), "appPort", ""),
    ]);
    accepted(vec![
        json!({"scheduledActions": action(0)}),
        json!({"minCapacity": 0, "maxCapacity": 2147483647}),
    ]);
}

#[test]
fn sizes_user_data_and_tag_counts() {
    refused(vec![(
        json!({"userData": "x".repeat(14_000)}),
        "userData",
        "16384",
    )]);
    accepted(vec![
        json!({"userData": "x".repeat(8_000)}),
        json!({"tags": tags(47)}),
    ]);
    refused(vec![(json!({"tags": tags(48)}), "tags", "51 tags")]);
    // 40 of the fleet's own and 10 from the provider: 53 on each object.
    let errs = run_with(
        json!({"tags": tags(40)}),
        &(0..10).map(|i| (format!("d{i}"), "v".into())).collect(),
    )
    .expect_err("over 50 with defaultTags");
    assert!(
        errs.iter()
            .any(|e| e.property == "tags" && e.reason.contains("10 from the provider")),
        "{errs:?}"
    );
    // A default tag the fleet overrides counts once.
    assert!(run_with(json!({"tags": tags(40)}), &tags(7)).is_ok());
}

#[test]
fn schedules_as_auto_scaling_reads_them() {
    let cron = |c: &str| json!({"scheduledActions": [{"name": "n", "cron": c, "minCapacity": 1, "maxCapacity": 2}]});
    let tz = |z: &str| json!({"scheduledActions": [{"name": "n", "cron": "0 10 * * *", "minCapacity": 1, "maxCapacity": 2, "timeZone": z}]});
    let at = "scheduledActions[0].cron";
    refused(vec![
        (cron("61 10 * * *"), at, "minute"),
        (cron("0 24 * * *"), at, "hour"),
        (cron("0 10 0 * *"), at, "day of month"),
        (cron("0 10 * 13 *"), at, "month"),
        (cron("0 10 * * 8"), at, "day of week"),
        (cron("0 10 * * FUN"), at, "day of week"),
        (cron("*/0 * * * *"), at, "step"),
        (cron("5-1 * * * *"), at, "backwards"),
        (cron("0 10 * *"), at, "five"),
        (cron("0 10 * * * *"), at, "five"),
        (
            tz("Mars/Olympus_Mons"),
            "scheduledActions[0].timeZone",
            "IANA",
        ),
        (tz("Europe/Londn"), "scheduledActions[0].timeZone", "IANA"),
    ]);
    accepted(vec![
        cron("0 10 * * MON-FRI"),
        cron("0,30 8-18/2 1-15 JAN,jul *"),
        cron("*/15 * * * 0"),
        cron("0 10 * * 7"),
        cron("0 10 * * 5-7"),
        tz("Europe/London"),
        tz("America/Argentina/Buenos_Aires"),
        tz("UTC"),
    ]);
}

#[test]
fn combinations_that_collide() {
    let cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    refused(vec![
        (
            json!({"listenerPort": 443, "certificateArn": cert}),
            "listenerPort",
            "HTTPS listener's port",
        ),
        (json!({"listenerPort": 8}), "listenerPort", "1024-65535"),
        (json!({"appPort": 22}), "appPort", "sshd"),
        (
            json!({"availabilityZones": ["us-east-1a", "eu-west-1b"]}),
            "availabilityZones[1]",
            "region us-east-1",
        ),
    ]);
    accepted(vec![
        json!({"listenerPort": 8, "cdn": {"enabled": false}}),
        json!({"listenerPort": 8080, "certificateArn": cert}),
        json!({"listenerPort": 443}),
    ]);
}

#[test]
fn environment_names_are_variable_names_and_values_fit_a_parameter_and_no_error_quotes_a_value() {
    let big = "s3cr3t".repeat(700);
    let cases = [
        (
            json!({"environment": {"1ST": "s3cr3t"}}),
            "environment.1ST",
            "not an environment variable name",
        ),
        (
            json!({"environment": {"DB-URL": "s3cr3t"}}),
            "environment.DB-URL",
            "letters, digits and _",
        ),
        (
            json!({"environment": {"TOKEN": ""}}),
            "environment.TOKEN",
            "empty",
        ),
        (
            json!({"environment": {"TOKEN": big}}),
            "environment.TOKEN",
            "4200 bytes",
        ),
        (
            json!({"environment": {"A".repeat(257): "s3cr3t"}}),
            &format!("environment.{}", "A".repeat(257)),
            "257 characters",
        ),
    ];
    for errs in refused(Vec::from(cases)) {
        assert!(
            errs.iter().all(|e| !e.reason.contains("s3cr3t")),
            "a value leaked into {errs:?}"
        );
    }
    let ok =
        run(json!({"environment": {"DATABASE_URL": "postgres://u:p@h/db", "_X1": "1"}})).unwrap();
    assert_eq!(
        format!("{:?}", ok.environment),
        r#"{"DATABASE_URL": [secret], "_X1": [secret]}"#
    );
}
