//! The Pulumi package schema, generated from the typed Rust structs (never written by hand).
//!
//! schemars turns each struct into JSON Schema (doc comments become descriptions, serde defaults become
//! defaults); this module translates that into Pulumi's schema dialect: nested structs become
//! `types`, `Option`s become optional properties, and `extend` attributes carry `secret` and
//! `replaceOnChanges`.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::config::ProviderConfig;
use crate::fleet::{FleetArgs, FleetOutputs, TOKEN};

/// The package name.
pub const PACKAGE: &str = "ec2fleet";

/// The resource's description: what it is, and a short program per language in Pulumi's
/// `{{% examples %}}` form, which each SDK generator filters down to its own language.
const USAGE: &str = include_str!("../sdk-schema/usage.md");

/// Where the Go SDK lives: `sdk/go` is its module, `ec2fleet` its package.
const GO_IMPORT_BASE: &str = "github.com/ec2fleet/pulumi-ec2fleet/sdk/go/ec2fleet";

/// The whole package schema, as GetSchema returns it and `sdk-schema/schema.json` stores it.
pub fn generate() -> Value {
    let mut types = Map::new();
    let config = object_props::<ProviderConfig>(&mut types);
    let inputs = object_props::<FleetArgs>(&mut types);
    let outputs = object_props::<FleetOutputs>(&mut types);
    let properties = state_properties(&inputs.props, &outputs.props);
    let mut fleet = json!({
        "description": USAGE.trim_end(),
        "inputProperties": inputs.props,
        "properties": properties,
        "required": outputs.required,
    });
    // Pulumi leaves empty `required` lists out of schemas it prints; so do we, to compare equal.
    if !inputs.required.is_empty() {
        fleet["requiredInputs"] = json!(inputs.required);
    }
    json!({
        "name": PACKAGE,
        "displayName": "EC2 Fleet",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "A complete, load-balanced, continuously deployable EC2 fleet on AWS as one resource.",
        "keywords": ["pulumi", "aws", "ec2", "category/infrastructure", "kind/native"],
        "license": "Apache-2.0",
        "repository": "https://github.com/ec2fleet/pulumi-ec2fleet",
        "publisher": "ec2fleet",
        "config": {"variables": config.props},
        "provider": {
            "description": "The ec2fleet provider: AWS region, credentials and endpoints for Ec2Fleet resources.",
            "inputProperties": config.props,
        },
        "resources": {
            TOKEN: fleet
        },
        "types": types,
        // respectSchemaVersion (below) makes every SDK carry the schema's version and ask the engine
        // for the plugin at it (without, nodejs and python ask for v0.0.0); supportPack gives the Go
        // SDK its own go.mod (module .../sdk/go) and pins the version as a literal.
        "meta": {"supportPack": true},
        "language": {
            // 3.270 is the oldest @pulumi/pulumi with the runtime calls the generated code makes.
            "nodejs": {
                "packageName": "@ec2fleet/ec2fleet",
                "dependencies": {"@pulumi/pulumi": "^3.270.0"},
                "respectSchemaVersion": true,
            },
            "python": {
                "packageName": "pulumi_ec2fleet",
                "requires": {"pulumi": ">=3.270.0,<4.0.0"},
                "respectSchemaVersion": true,
                "pyproject": {"enabled": true},
            },
            "go": {
                "importBasePath": GO_IMPORT_BASE,
                "generateResourceContainerTypes": true,
                "respectSchemaVersion": true,
            },
        },
    })
}

/// The resource's properties: every input and output, an output's schema winning, but an input's
/// `replaceOnChanges` and `secret` kept, since the SDK generators read those from `properties`.
fn state_properties(
    inputs: &Map<String, Value>,
    outputs: &Map<String, Value>,
) -> Map<String, Value> {
    let mut all = inputs.clone();
    for (k, v) in outputs {
        let mut v = v.clone();
        for flag in ["replaceOnChanges", "secret"] {
            if let Some(on) = inputs.get(k).and_then(|i| i.get(flag)) {
                v[flag] = on.clone();
            }
        }
        all.insert(k.clone(), v);
    }
    all
}

/// An object's properties and required keys, in Pulumi's dialect.
struct Props {
    props: Map<String, Value>,
    required: Vec<Value>,
}

fn object_props<T: JsonSchema>(types: &mut Map<String, Value>) -> Props {
    let root: Schema = SchemaGenerator::default().into_root_schema_for::<T>();
    let root = root.as_value();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, def) in &defs {
        let p = translate_object(def);
        let mut t = json!({"type": "object", "properties": p.props});
        if !p.required.is_empty() {
            t["required"] = json!(p.required);
        }
        if let Some(d) = def.get("description").and_then(Value::as_str) {
            t["description"] = json!(d.replace('\n', " "));
        }
        types.insert(type_token(name), t);
    }
    translate_object(root)
}

fn type_token(name: &str) -> String {
    format!("{PACKAGE}:index:{name}")
}

fn translate_object(schema: &Value) -> Props {
    let required: Vec<Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().map(|(k, v)| (k.clone(), translate(v))).collect())
        .unwrap_or_default();
    Props { props, required }
}

/// Translates one property schema.
fn translate(s: &Value) -> Value {
    let mut out = type_of(s);
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        // Doc comments wrap at the source's width; descriptions are prose.
        out["description"] = json!(d.replace('\n', " "));
    }
    for key in ["secret", "replaceOnChanges"] {
        if let Some(v) = s.get(key) {
            out[key] = v.clone();
        }
    }
    // Pulumi takes defaults only for primitives.
    if let Some(d) = s
        .get("default")
        .filter(|d| d.is_string() || d.is_number() || d.is_boolean())
    {
        out["default"] = d.clone();
    }
    out
}

/// The type part of a property: `type`/`items`/`additionalProperties`, or a `$ref` to a named type.
fn type_of(s: &Value) -> Value {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        if r.starts_with("pulumi.json#") {
            return json!({"$ref": r});
        }
        let name = r.rsplit('/').next().unwrap_or(r);
        return json!({"$ref": format!("#/types/{}", type_token(name))});
    }
    if let Some(alts) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
    {
        // Option<T> is `anyOf: [T, null]`.
        if let Some(t) = alts.iter().find(|a| a.get("type") != Some(&json!("null"))) {
            return type_of(t);
        }
    }
    let ty = match s.get("type") {
        Some(Value::Array(ts)) => ts
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(json!("string")),
        Some(t) => t.clone(),
        None => json!("string"),
    };
    match ty.as_str().unwrap_or("string") {
        "array" => {
            json!({"type": "array", "items": s.get("items").map(type_of).unwrap_or(json!({"type": "string"}))})
        }
        "object" => {
            let ap = s
                .get("additionalProperties")
                .filter(|a| a.is_object())
                .map(type_of);
            json!({"type": "object", "additionalProperties": ap.unwrap_or(json!({"type": "string"}))})
        }
        other => json!({"type": other}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_property(schema: &Value) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let mut add = |owner: &str, props: &Value| {
            for (k, v) in props.as_object().into_iter().flatten() {
                out.push((format!("{owner}.{k}"), v.clone()));
            }
        };
        add("config", &schema["config"]["variables"]);
        add("provider", &schema["provider"]["inputProperties"]);
        add(TOKEN, &schema["resources"][TOKEN]["inputProperties"]);
        add(TOKEN, &schema["resources"][TOKEN]["properties"]);
        for (name, t) in schema["types"].as_object().unwrap() {
            add(name, &t["properties"]);
        }
        out
    }

    #[test]
    fn every_property_has_a_description() {
        for (name, p) in every_property(&generate()) {
            let d = p["description"].as_str().unwrap_or("");
            assert!(d.len() > 10, "{name} has no description");
        }
    }

    #[test]
    fn every_ref_points_at_a_defined_type() {
        let schema = generate();
        let text = schema.to_string();
        for part in text.split("\"#/types/").skip(1) {
            let token = part.split('"').next().unwrap();
            assert!(
                schema["types"].get(token).is_some(),
                "dangling $ref to {token}"
            );
        }
    }

    #[test]
    fn the_schema_carries_the_typed_structs_facts() {
        let s = generate();
        let r = &s["resources"][TOKEN];
        assert_eq!(r["inputProperties"]["appPort"]["type"], "integer");
        assert_eq!(r["inputProperties"]["appPort"]["default"], 3000);
        assert_eq!(r["inputProperties"]["vpcCidr"]["default"], "10.0.0.0/16");
        assert_eq!(r["inputProperties"]["vpcCidr"]["replaceOnChanges"], true);
        assert_eq!(
            r["inputProperties"]["healthCheck"]["$ref"],
            "#/types/ec2fleet:index:HealthCheck"
        );
        assert_eq!(
            r["inputProperties"]["scheduledActions"]["items"]["$ref"],
            "#/types/ec2fleet:index:ScheduledAction"
        );
        assert_eq!(
            r["inputProperties"]["tags"]["additionalProperties"]["type"],
            "string"
        );
        assert_eq!(r["properties"]["loadBalancerDnsName"]["type"], "string");
        assert!(r["required"].as_array().unwrap().contains(&json!("url")));
        assert_eq!(s["config"]["variables"]["secretKey"]["secret"], true);
        assert_eq!(
            s["types"]["ec2fleet:index:ScheduledAction"]["required"],
            json!(["name", "cron", "minCapacity", "maxCapacity"])
        );
    }

    #[test]
    fn the_sdks_replace_on_exactly_what_diff_replaces_on() {
        let s = generate();
        let fleet = &s["resources"][TOKEN];
        for section in ["inputProperties", "properties"] {
            let mut marked: Vec<String> = fleet[section]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, p)| p["replaceOnChanges"] == true)
                .map(|(k, _)| k.clone())
                .collect();
            marked.sort();
            let mut want = crate::fleet::diff::replace_keys();
            want.sort();
            assert_eq!(marked, want, "{section}");
        }
    }

    #[test]
    fn the_committed_schema_file_matches_the_generated_one() {
        let committed = include_str!("../sdk-schema/schema.json");
        let committed: Value =
            serde_json::from_str(committed).expect("sdk-schema/schema.json is not JSON");
        assert!(
            committed == generate(),
            "sdk-schema/schema.json is stale: run `make schema`"
        );
    }
}
