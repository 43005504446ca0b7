//! The Ec2Fleet resource's state on the wire: the inputs, the user-facing outputs, and (under keys no
//! SDK shows) the per-sub-resource records and the origin secret. Also the error that hands the
//! engine a half-made fleet.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use tonic::Status;

use super::props::{encode_struct, PropertyMap, Value};
use super::typed;
use crate::fleet::apply::Incomplete;
use crate::fleet::diff::{self, Changes};
use crate::fleet::refresh::DRIFTING;
use crate::fleet::{self, FleetArgs, FleetOutputs, Records};
use crate::proto::{google_rpc, pulumirpc as rpc};

/// State key of the sub-resource records: the double underscore keeps it out of the schema and SDKs.
pub const RECORDS: &str = diff::INCOMPLETE;
/// State key of the secret CloudFront sends the load balancer.
pub const ORIGIN_SECRET: &str = "__originSecret";

/// State key of the inputs an update was taking the fleet away from when it stopped part way. The
/// engine records the new inputs even then, so without it the next update (same inputs) would only
/// make what is missing and leave the objects it had not reached at their old settings and tags.
pub const PENDING_FROM: &str = diff::PENDING;

/// State key of the tags the fleet's objects carry besides their identity (provider defaultTags with
/// the fleet's `tags` over them), so a change of either, the provider's included, shows in Diff and
/// re-tags on Update.
pub const TAGS_ALL: &str = "__tagsAll";

/// The input property names, from the typed inputs' schema.
fn input_keys() -> BTreeSet<String> {
    let schema = serde_json::to_value(schemars::schema_for!(FleetArgs)).unwrap_or_default();
    schema["properties"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The input property names the schema marks secret.
fn secret_input_keys() -> Vec<String> {
    let schema = serde_json::to_value(schemars::schema_for!(FleetArgs)).unwrap_or_default();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["secret"] == serde_json::Value::Bool(true))
        .map(|(k, _)| k.clone())
        .collect()
}

/// `map` with the schema's secret inputs marked secret, whatever the program sent: a plain value
/// given to `environment` must not reach the state or the engine's display as plain text.
pub fn with_secret_inputs(mut map: PropertyMap) -> PropertyMap {
    for key in secret_input_keys() {
        if let Some(v) = map.remove(&key) {
            let v = match v {
                Value::Secret(_) => v,
                plain => Value::Secret(Box::new(plain)),
            };
            map.insert(key, v);
        }
    }
    map
}

/// The inputs part of a state (for engines that send no old inputs).
pub fn inputs_of(state: &PropertyMap) -> PropertyMap {
    let keys = input_keys();
    state
        .iter()
        .filter(|(k, _)| keys.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The typed inputs, or an error naming the property that does not parse (a state written by an
/// incompatible version, say).
pub fn args_of(inputs: &PropertyMap) -> Result<FleetArgs, Status> {
    fleet::parse(typed::to_json(inputs)).map_err(|e| {
        Status::invalid_argument(format!(
            "the fleet's recorded inputs do not parse: {}: {}",
            e.property, e.reason
        ))
    })
}

/// The records kept in a state; none when it has none (a fleet never made, or an import).
pub fn records_of(state: &PropertyMap) -> Result<Records, Status> {
    let Some(v) = state.get(RECORDS) else {
        return Ok(Records::default());
    };
    let json = typed::to_json(&[(RECORDS.to_string(), v.clone())].into_iter().collect());
    serde_json::from_value(json[RECORDS].clone()).map_err(|e| {
        Status::invalid_argument(format!(
            "the fleet's recorded sub-resources do not parse: {e}"
        ))
    })
}

/// The origin secret kept in a state.
pub fn secret_of(state: &PropertyMap) -> Option<String> {
    match state.get(ORIGIN_SECRET) {
        Some(Value::Secret(inner)) => match inner.as_ref() {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The inputs an unfinished update started from (see [`PENDING_FROM`]).
pub fn pending_from(state: &PropertyMap) -> Option<PropertyMap> {
    match state.get(PENDING_FROM) {
        Some(Value::Object(inputs)) => Some(inputs.clone()),
        _ => None,
    }
}

/// Marks `state` as left by an update from `inputs` that did not finish.
pub fn mark_pending(state: &mut PropertyMap, inputs: &PropertyMap) {
    state.insert(PENDING_FROM.into(), Value::Object(inputs.clone()));
}

/// The tags recorded as on the fleet's objects (see [`TAGS_ALL`]); `None` in a state from before
/// they were recorded.
pub fn tags_all_of(state: &PropertyMap) -> Option<BTreeMap<String, String>> {
    let tags = match state.get(TAGS_ALL)? {
        Value::Secret(inner) => inner.as_ref(),
        plain => plain,
    };
    let Value::Object(tags) = tags else {
        return None;
    };
    tags.iter()
        .map(|(k, v)| match v {
            Value::String(v) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

/// Records `tags` as on the fleet's objects, as a secret: they merge the `tags` input (secret, or
/// holding secrets, in some programs) with the provider's defaultTags, whose secrecy the
/// provider's configuration does not carry here; no one reads this key but the provider.
pub fn set_tags_all(state: &mut PropertyMap, tags: &BTreeMap<String, String>) {
    let tags = tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    state.insert(
        TAGS_ALL.into(),
        Value::Secret(Box::new(Value::Object(tags))),
    );
}

/// The state to record: the inputs as given (secrets kept), the outputs over them, the records, and
/// the origin secret as a secret.
pub fn state(
    inputs: &PropertyMap,
    args: &FleetArgs,
    prefix: &str,
    records: &Records,
    secret: Option<&str>,
) -> PropertyMap {
    let mut out = with_secret_inputs(inputs.clone());
    let outputs = serde_json::to_value(FleetOutputs::of(args, prefix, records)).unwrap_or_default();
    for (key, value) in typed::map_from_json(&outputs) {
        // An output not made yet never hides the input of the same name.
        let empty = matches!(&value, Value::String(s) if s.is_empty())
            || matches!(&value, Value::Array(a) if a.is_empty());
        if !(empty && out.contains_key(&key)) {
            // An output named like an input (namePrefix, ami, availabilityZones) keeps its secrecy.
            let value = typed::secret_like(out.get(&key), value);
            out.insert(key, value);
        }
    }
    let recorded = serde_json::to_value(records).unwrap_or_default();
    out.insert(RECORDS.into(), typed::from_json(&recorded));
    if let Some(s) = secret {
        out.insert(
            ORIGIN_SECRET.into(),
            Value::Secret(Box::new(Value::String(s.into()))),
        );
    }
    out
}

/// The reasons a run stopped, one line per failed node (and a line for a cancel).
pub fn reasons(inc: &Incomplete) -> Vec<String> {
    let mut out: Vec<String> = inc
        .failed
        .iter()
        .map(|(node, e)| format!("{node}: {e}"))
        .collect();
    if inc.cancelled {
        out.push("cancelled before every sub-resource was done".into());
    }
    if !inc.not_started.is_empty() {
        let names: Vec<String> = inc.not_started.iter().map(|n| n.to_string()).collect();
        out.push(format!("not started: {}", names.join(", ")));
    }
    out
}

/// The error that tells the engine the fleet exists but is incomplete: its ID and state are
/// recorded, and the next `pulumi up` finishes it.
pub fn init_failed(
    id: &str,
    state: &PropertyMap,
    inputs: &PropertyMap,
    reasons: Vec<String>,
) -> Status {
    let message = format!("the fleet is incomplete:\n  {}", reasons.join("\n  "));
    let detail = rpc::ErrorResourceInitFailed {
        id: id.into(),
        properties: Some(encode_struct(state)),
        reasons,
        inputs: Some(encode_struct(inputs)),
        refresh_before_update: false,
    };
    let status = google_rpc::Status {
        code: tonic::Code::Unknown as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/pulumirpc.ErrorResourceInitFailed".into(),
            value: detail.encode_to_vec(),
        }],
    };
    Status::with_details(tonic::Code::Unknown, message, status.encode_to_vec().into())
}

/// The inputs with the drift-prone properties taken from `args`.
pub fn with_inputs(inputs: &PropertyMap, args: &FleetArgs) -> PropertyMap {
    let json = serde_json::to_value(args).unwrap_or_default();
    let mut out = inputs.clone();
    for key in DRIFTING {
        if let Some(v) = json.get(key) {
            let v = typed::secret_like(out.get(key), typed::from_json(v));
            out.insert(key.into(), v);
        }
    }
    out
}

/// The Diff answer for these changes.
pub fn diff_response(changes: Changes) -> rpc::DiffResponse {
    use rpc::property_diff::Kind;
    let Changes {
        changed: diffs,
        replaces,
        delete_before_replace,
    } = changes;
    let detailed_diff = diffs
        .iter()
        .map(|k| {
            let kind = if replaces.contains(k) {
                Kind::UpdateReplace
            } else {
                Kind::Update
            };
            let d = rpc::PropertyDiff {
                kind: kind as i32,
                input_diff: true,
            };
            (k.clone(), d)
        })
        .collect();
    let changes = if diffs.is_empty() {
        rpc::diff_response::DiffChanges::DiffNone
    } else {
        rpc::diff_response::DiffChanges::DiffSome
    };
    rpc::DiffResponse {
        replaces,
        delete_before_replace,
        changes: changes as i32,
        diffs,
        detailed_diff,
        has_detailed_diff: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Made;

    #[test]
    fn state_round_trips_records_and_keeps_the_secret_secret() {
        let args: FleetArgs = fleet::parse(serde_json::json!({})).unwrap();
        let mut records = Records::default();
        records.insert(Made::Ami("ami-1".into()));
        let inputs: PropertyMap = [("instanceType".to_string(), Value::String("t3.micro".into()))]
            .into_iter()
            .collect();
        let s = state(&inputs, &args, "web", &records, Some("s3cr3t"));
        assert_eq!(records_of(&s).unwrap(), records);
        assert!(matches!(s.get(ORIGIN_SECRET), Some(Value::Secret(_))));
        assert_eq!(secret_of(&s).as_deref(), Some("s3cr3t"));
        assert_eq!(s.get("ami"), Some(&Value::String("ami-1".into())));
        let kept = inputs_of(&s);
        assert_eq!(kept.get("instanceType"), inputs.get("instanceType"));
        for hidden in [RECORDS, ORIGIN_SECRET, "vpcId", "url"] {
            assert!(!kept.contains_key(hidden), "{hidden} is not an input");
        }
    }

    #[test]
    fn a_secret_input_stays_secret_in_the_outputs_drift_and_recorded_tags() {
        let secret = |v: Value| Value::Secret(Box::new(v));
        let args: FleetArgs =
            fleet::parse(serde_json::json!({"ami": "ami-9", "minCapacity": 2})).unwrap();
        let mut records = Records::default();
        records.insert(Made::Ami("ami-9".into()));
        let inputs: PropertyMap = [
            ("ami".to_string(), secret(Value::String("ami-9".into()))),
            ("minCapacity".to_string(), secret(Value::Number(2.0))),
        ]
        .into_iter()
        .collect();
        let mut s = state(&inputs, &args, "web", &records, None);
        assert_eq!(s.get("ami"), Some(&secret(Value::String("ami-9".into()))));
        let drifted = with_inputs(&inputs, &args);
        assert_eq!(
            drifted.get("minCapacity"),
            Some(&secret(Value::Number(2.0)))
        );
        let tags = BTreeMap::from([("team".to_string(), "pw".to_string())]);
        set_tags_all(&mut s, &tags);
        assert!(matches!(s.get(TAGS_ALL), Some(Value::Secret(_))));
        assert_eq!(tags_all_of(&s), Some(tags));
    }

    #[test]
    fn the_environment_is_secret_in_the_state_even_when_the_program_sent_it_plain() {
        let env = Value::Object(
            [("DB_PASSWORD".to_string(), Value::String("pw".into()))]
                .into_iter()
                .collect(),
        );
        let args: FleetArgs =
            fleet::parse(serde_json::json!({"environment": {"DB_PASSWORD": "pw"}})).unwrap();
        let inputs: PropertyMap = [("environment".to_string(), env.clone())]
            .into_iter()
            .collect();
        let s = state(&inputs, &args, "web", &Records::default(), None);
        assert_eq!(
            s.get("environment"),
            Some(&Value::Secret(Box::new(env.clone())))
        );
        let marked = with_secret_inputs(inputs);
        assert_eq!(marked.get("environment"), s.get("environment"));
        assert_eq!(
            with_secret_inputs(marked.clone()),
            marked,
            "a secret is not wrapped twice"
        );
        assert_eq!(secret_input_keys(), ["environment"]);
    }
}
