//! Property values <-> plain JSON, the bridge to the typed (serde) input and output structs.
//!
//! Typed structs cannot hold unknowns or secret markers, so [`to_json`] drops unknowns (a typed field then
//! takes its default, and validation of it waits until the value is known) and unwraps secrets;
//! [`overlay`] puts both back onto the typed result, so what the engine gets keeps every unknown and secret
//! it sent.

use serde_json::{Map, Number};

use prost_types::{value::Kind, ListValue, Struct};

use super::props::{self, PropertyMap, Value, SIG_KEY};

/// Converts a property bag to JSON, leaving out unknown values.
pub fn to_json(m: &PropertyMap) -> serde_json::Value {
    serde_json::Value::Object(object_to_json(m))
}

fn object_to_json(m: &PropertyMap) -> Map<String, serde_json::Value> {
    m.iter()
        .filter_map(|(k, v)| value_to_json(v).map(|j| (k.clone(), j)))
        .collect()
}

/// JSON for one value, or `None` when it is not known yet.
fn value_to_json(v: &Value) -> Option<serde_json::Value> {
    Some(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => json_number(*n),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().filter_map(value_to_json).collect()),
        Value::Object(o) => serde_json::Value::Object(object_to_json(o)),
        Value::Unknown(_) => return None,
        Value::Secret(inner) => return value_to_json(inner),
        Value::Output(o) => return o.value.as_deref().and_then(value_to_json),
        Value::ResourceRef(r) => return r.id.as_deref().and_then(value_to_json),
        // Assets and archives pass through as their wire objects: a typed field for one reads it
        // back, and a field that expects a string reports a clear type error for that property.
        Value::Asset(_) | Value::Archive(_) => wire_json(v),
    })
}

/// Integral doubles become JSON integers so `u16`/`u32` fields accept them.
fn json_number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Converts JSON (a serialized typed struct) back to a property value.
pub fn from_json(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) if o.contains_key(SIG_KEY) => props::decode(&json_to_wire(j)),
        serde_json::Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// A value's wire form as JSON (an asset or archive keeps its signature key).
pub fn wire_json(v: &Value) -> serde_json::Value {
    wire_to_json(&props::encode(v))
}

fn wire_to_json(v: &prost_types::Value) -> serde_json::Value {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(*b),
        Some(Kind::NumberValue(n)) => json_number(*n),
        Some(Kind::StringValue(s)) => serde_json::Value::String(s.clone()),
        Some(Kind::ListValue(l)) => {
            serde_json::Value::Array(l.values.iter().map(wire_to_json).collect())
        }
        Some(Kind::StructValue(s)) => serde_json::Value::Object(
            s.fields
                .iter()
                .map(|(k, v)| (k.clone(), wire_to_json(v)))
                .collect(),
        ),
    }
}

fn json_to_wire(j: &serde_json::Value) -> prost_types::Value {
    let kind = match j {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(*b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s.clone()),
        serde_json::Value::Array(a) => Kind::ListValue(ListValue {
            values: a.iter().map(json_to_wire).collect(),
        }),
        serde_json::Value::Object(o) => Kind::StructValue(Struct {
            fields: o
                .iter()
                .map(|(k, v)| (k.clone(), json_to_wire(v)))
                .collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

/// Converts a JSON object to a property bag (anything else gives an empty bag).
pub fn map_from_json(j: &serde_json::Value) -> PropertyMap {
    match from_json(j) {
        Value::Object(m) => m,
        _ => PropertyMap::new(),
    }
}

/// Lays the engine's original value over the typed result: unknowns stay unknown, secrets stay secret,
/// and what the typed struct filled in (defaults) is kept where the original had nothing.
pub fn overlay(original: &Value, filled: Value) -> Value {
    match (original, filled) {
        (Value::Unknown(_) | Value::Asset(_) | Value::Archive(_), _) => original.clone(),
        (Value::Output(o), _) if o.value.is_none() => Value::Output(o.clone()),
        (Value::Secret(inner), filled) => Value::Secret(Box::new(overlay(inner, filled))),
        (Value::Output(o), filled) => {
            let inner = o
                .value
                .as_deref()
                .map(|v| overlay(v, filled.clone()))
                .unwrap_or(filled);
            if o.secret {
                Value::Secret(Box::new(inner))
            } else {
                inner
            }
        }
        (Value::Object(orig), Value::Object(filled)) => Value::Object(overlay_map(orig, filled)),
        (Value::Array(orig), Value::Array(filled)) if orig.len() == filled.len() => Value::Array(
            orig.iter()
                .zip(filled)
                .map(|(o, f)| overlay(o, f))
                .collect(),
        ),
        // Unknown array elements were dropped for the typed pass, so lengths differ: keep the original.
        (Value::Array(_), Value::Array(_)) => original.clone(),
        (_, filled) => filled,
    }
}

/// [`overlay`] for property bags: keys only the original has (unknown ones) are kept too.
pub fn overlay_map(original: &PropertyMap, filled: PropertyMap) -> PropertyMap {
    let mut out = PropertyMap::new();
    for (k, f) in filled {
        let v = match original.get(&k) {
            Some(o) => overlay(o, f),
            None => f,
        };
        out.insert(k, v);
    }
    for (k, o) in original {
        out.entry(k.clone()).or_insert_with(|| o.clone());
    }
    out
}

/// Whether a value is secret or holds a secret anywhere inside it.
pub fn holds_secret(v: &Value) -> bool {
    match v {
        Value::Secret(_) => true,
        Value::Output(o) => o.secret || o.value.as_deref().is_some_and(holds_secret),
        Value::Array(a) => a.iter().any(holds_secret),
        Value::Object(o) => o.values().any(holds_secret),
        _ => false,
    }
}

/// `v` as a secret when `like` holds one: a value computed from a secret input stays secret.
pub fn secret_like(like: Option<&Value>, v: Value) -> Value {
    match like {
        Some(l) if holds_secret(l) && !matches!(v, Value::Secret(_)) => Value::Secret(Box::new(v)),
        _ => v,
    }
}

/// Whether a value (and everything inside it) is known.
pub fn is_known(v: &Value) -> bool {
    match v {
        Value::Unknown(_) => false,
        Value::Output(o) => o.value.as_deref().is_some_and(is_known),
        Value::Secret(inner) => is_known(inner),
        Value::Array(a) => a.iter().all(is_known),
        Value::Object(o) => o.values().all(is_known),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::props::{OutputValue, UnknownKind};

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn unknowns_are_left_out_and_secrets_unwrapped_for_the_typed_pass() {
        let m: PropertyMap = [
            ("a".to_string(), Value::Unknown(UnknownKind::Number)),
            ("b".to_string(), Value::Secret(Box::new(Value::Number(2.0)))),
            (
                "c".to_string(),
                Value::Array(vec![
                    Value::String("x".into()),
                    Value::Unknown(UnknownKind::String),
                ]),
            ),
        ]
        .into();
        assert_eq!(to_json(&m), serde_json::json!({"b": 2, "c": ["x"]}));
    }

    #[test]
    fn overlay_keeps_unknowns_and_secrets_and_adds_defaults() {
        let original = obj(vec![
            ("key", Value::Unknown(UnknownKind::String)),
            (
                "hc",
                obj(vec![(
                    "path",
                    Value::Secret(Box::new(Value::String("/h".into()))),
                )]),
            ),
            (
                "out",
                Value::Output(OutputValue {
                    value: Some(Box::new(Value::Number(1.0))),
                    secret: true,
                    dependencies: vec![],
                }),
            ),
        ]);
        let filled = obj(vec![
            (
                "hc",
                obj(vec![
                    ("path", Value::String("/h".into())),
                    ("interval", Value::Number(10.0)),
                ]),
            ),
            ("out", Value::Number(1.0)),
            ("port", Value::Number(3000.0)),
        ]);
        let want = obj(vec![
            ("key", Value::Unknown(UnknownKind::String)),
            (
                "hc",
                obj(vec![
                    ("path", Value::Secret(Box::new(Value::String("/h".into())))),
                    ("interval", Value::Number(10.0)),
                ]),
            ),
            ("out", Value::Secret(Box::new(Value::Number(1.0)))),
            ("port", Value::Number(3000.0)),
        ]);
        assert_eq!(overlay(&original, filled), want);
    }
}
