//! `google.protobuf.Struct` <-> typed property values.
//!
//! Pulumi sends every property bag as a `Struct`; special values (secrets, assets, archives, resource
//! references, output values) are objects marked with a signature key, and unknown values are sentinel
//! strings. [`Value`] is the decoded form; the conversions here are exact inverses of each other.

use std::collections::BTreeMap;

use prost_types::{value::Kind, ListValue, Struct};

/// The key that marks an object as a special value; its string value says which kind.
pub const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
const SIG_SECRET: &str = "1b47061264138c4ac30d75fd1eb44270";
const SIG_RESOURCE_REF: &str = "5cf8f73096256a8f31e491e813e4eb8e";
const SIG_OUTPUT: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const SIG_ASSET: &str = "c44067f5952c0a294b673a41bacd8c17";
const SIG_ARCHIVE: &str = "0def7320c3a5731c473e5ecbe6d01bc7";

/// What an unknown (computed) value would have been; each kind has its own sentinel on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKind {
    /// An unknown string (the sentinel the engine uses for untyped unknowns too).
    String,
    /// An unknown boolean.
    Bool,
    /// An unknown number.
    Number,
    /// An unknown array.
    Array,
    /// An unknown object.
    Object,
    /// An unknown asset.
    Asset,
    /// An unknown archive.
    Archive,
}

const UNKNOWNS: [(UnknownKind, &str); 7] = [
    (UnknownKind::String, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"),
    (UnknownKind::Bool, "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"),
    (UnknownKind::Number, "3eeb2bf0-c639-47a8-9e75-3b44932eb421"),
    (UnknownKind::Array, "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"),
    (UnknownKind::Object, "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"),
    (UnknownKind::Asset, "030794c1-ac77-496b-92df-f27374a8bd58"),
    (UnknownKind::Archive, "e48ece36-62e2-4504-bad9-02848725956a"),
];

impl UnknownKind {
    /// The sentinel string that stands for this unknown on the wire.
    pub fn sentinel(self) -> &'static str {
        UNKNOWNS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or(UNKNOWNS[0].1)
    }

    fn from_sentinel(s: &str) -> Option<Self> {
        UNKNOWNS.iter().find(|(_, v)| *v == s).map(|(k, _)| *k)
    }
}

/// A decoded property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON null.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (the wire carries only doubles).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(BTreeMap<String, Value>),
    /// A value not known until the resource it depends on exists (only in previews).
    Unknown(UnknownKind),
    /// A value the engine keeps encrypted in state and masks in output.
    Secret(Box<Value>),
    /// A file-like asset.
    Asset(Asset),
    /// A collection of assets.
    Archive(Archive),
    /// A reference to another resource.
    ResourceRef(ResourceRef),
    /// A first-class output value: possibly unknown, possibly secret, with dependencies.
    Output(OutputValue),
}

/// Where an asset's bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetSource {
    /// Inline text.
    Text(String),
    /// A file path.
    Path(String),
    /// A URI.
    Uri(String),
}

/// A Pulumi asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// SHA-256 of the contents, when the engine has computed it.
    pub hash: Option<String>,
    /// The contents' source.
    pub source: AssetSource,
}

/// Where an archive's contents come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ArchiveSource {
    /// Named assets and nested archives.
    Assets(BTreeMap<String, Value>),
    /// A file or directory path.
    Path(String),
    /// A URI.
    Uri(String),
}

/// A Pulumi archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    /// SHA-256 of the contents, when the engine has computed it.
    pub hash: Option<String>,
    /// The contents' source.
    pub source: ArchiveSource,
}

/// A reference to another resource by URN (and ID for custom resources).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRef {
    /// The referenced resource's URN.
    pub urn: String,
    /// Its ID (a string, or unknown during preview); absent for component resources.
    pub id: Option<Box<Value>>,
    /// The version of the package that defines it.
    pub package_version: Option<String>,
}

/// An output value as the engine sends it when outputs are accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputValue {
    /// The value, absent when unknown.
    pub value: Option<Box<Value>>,
    /// Whether the value is secret.
    pub secret: bool,
    /// URNs of the resources it depends on.
    pub dependencies: Vec<String>,
}

/// A property bag: the decoded form of a `Struct`.
pub type PropertyMap = BTreeMap<String, Value>;

/// Decodes a `Struct` (absent means empty).
pub fn decode_struct(s: Option<&Struct>) -> PropertyMap {
    s.map(|s| {
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), decode(v)))
            .collect()
    })
    .unwrap_or_default()
}

/// Encodes a property bag as a `Struct`.
pub fn encode_struct(m: &PropertyMap) -> Struct {
    Struct {
        fields: m.iter().map(|(k, v)| (k.clone(), encode(v))).collect(),
    }
}

/// Decodes one wire value.
pub fn decode(v: &prost_types::Value) -> Value {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::NumberValue(n)) => Value::Number(*n),
        Some(Kind::StringValue(s)) => match UnknownKind::from_sentinel(s) {
            Some(k) => Value::Unknown(k),
            None => Value::String(s.clone()),
        },
        Some(Kind::ListValue(l)) => Value::Array(l.values.iter().map(decode).collect()),
        Some(Kind::StructValue(s)) => decode_object(s),
    }
}

fn decode_object(s: &Struct) -> Value {
    let fields = decode_struct(Some(s));
    let sig = match fields.get(SIG_KEY) {
        Some(Value::String(sig)) => sig.clone(),
        _ => return Value::Object(fields),
    };
    decode_special(&sig, fields)
}

fn decode_special(sig: &str, mut f: PropertyMap) -> Value {
    let text = |f: &PropertyMap, k: &str| match f.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    match sig {
        SIG_SECRET => Value::Secret(Box::new(f.remove("value").unwrap_or(Value::Null))),
        SIG_ASSET => {
            let source = if let Some(t) = text(&f, "text") {
                AssetSource::Text(t)
            } else if let Some(p) = text(&f, "path") {
                AssetSource::Path(p)
            } else {
                AssetSource::Uri(text(&f, "uri").unwrap_or_default())
            };
            Value::Asset(Asset {
                hash: text(&f, "hash"),
                source,
            })
        }
        SIG_ARCHIVE => {
            let source = match f.remove("assets") {
                Some(Value::Object(a)) => ArchiveSource::Assets(a),
                _ => match text(&f, "path") {
                    Some(p) => ArchiveSource::Path(p),
                    None => ArchiveSource::Uri(text(&f, "uri").unwrap_or_default()),
                },
            };
            Value::Archive(Archive {
                hash: text(&f, "hash"),
                source,
            })
        }
        SIG_RESOURCE_REF => Value::ResourceRef(ResourceRef {
            urn: text(&f, "urn").unwrap_or_default(),
            id: f.remove("id").map(Box::new),
            package_version: text(&f, "packageVersion"),
        }),
        SIG_OUTPUT => Value::Output(OutputValue {
            value: f.remove("value").map(Box::new),
            secret: matches!(f.get("secret"), Some(Value::Bool(true))),
            dependencies: match f.remove("dependencies") {
                Some(Value::Array(a)) => a
                    .into_iter()
                    .filter_map(|d| match d {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
        }),
        // An unrecognised signature is kept as a plain object so nothing is lost.
        _ => Value::Object(f),
    }
}

fn string(s: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(s.to_string())),
    }
}

fn object(fields: Vec<(&str, prost_types::Value)>) -> prost_types::Value {
    let fields = fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    prost_types::Value {
        kind: Some(Kind::StructValue(Struct { fields })),
    }
}

/// Encodes one value for the wire.
pub fn encode(v: &Value) -> prost_types::Value {
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(*n),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(a) => Kind::ListValue(ListValue {
            values: a.iter().map(encode).collect(),
        }),
        Value::Object(o) => Kind::StructValue(encode_struct(o)),
        Value::Unknown(k) => Kind::StringValue(k.sentinel().to_string()),
        Value::Secret(inner) => {
            return object(vec![
                (SIG_KEY, string(SIG_SECRET)),
                ("value", encode(inner)),
            ])
        }
        Value::Asset(a) => return encode_asset(a),
        Value::Archive(a) => return encode_archive(a),
        Value::ResourceRef(r) => return encode_ref(r),
        Value::Output(o) => return encode_output(o),
    };
    prost_types::Value { kind: Some(kind) }
}

fn encode_asset(a: &Asset) -> prost_types::Value {
    let mut f = vec![(SIG_KEY, string(SIG_ASSET))];
    if let Some(h) = &a.hash {
        f.push(("hash", string(h)));
    }
    f.push(match &a.source {
        AssetSource::Text(t) => ("text", string(t)),
        AssetSource::Path(p) => ("path", string(p)),
        AssetSource::Uri(u) => ("uri", string(u)),
    });
    object(f)
}

fn encode_archive(a: &Archive) -> prost_types::Value {
    let mut f = vec![(SIG_KEY, string(SIG_ARCHIVE))];
    if let Some(h) = &a.hash {
        f.push(("hash", string(h)));
    }
    f.push(match &a.source {
        ArchiveSource::Assets(m) => ("assets", encode(&Value::Object(m.clone()))),
        ArchiveSource::Path(p) => ("path", string(p)),
        ArchiveSource::Uri(u) => ("uri", string(u)),
    });
    object(f)
}

fn encode_ref(r: &ResourceRef) -> prost_types::Value {
    let mut f = vec![(SIG_KEY, string(SIG_RESOURCE_REF)), ("urn", string(&r.urn))];
    if let Some(id) = &r.id {
        f.push(("id", encode(id)));
    }
    if let Some(v) = &r.package_version {
        f.push(("packageVersion", string(v)));
    }
    object(f)
}

fn encode_output(o: &OutputValue) -> prost_types::Value {
    let mut f = vec![(SIG_KEY, string(SIG_OUTPUT))];
    if let Some(v) = &o.value {
        f.push(("value", encode(v)));
    }
    if o.secret {
        f.push((
            "secret",
            prost_types::Value {
                kind: Some(Kind::BoolValue(true)),
            },
        ));
    }
    if !o.dependencies.is_empty() {
        let deps = o
            .dependencies
            .iter()
            .map(|d| Value::String(d.clone()))
            .collect();
        f.push(("dependencies", encode(&Value::Array(deps))));
    }
    object(f)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn leaf() -> impl Strategy<Value = Value> {
        let kinds = [
            UnknownKind::String,
            UnknownKind::Bool,
            UnknownKind::Number,
            UnknownKind::Array,
            UnknownKind::Object,
            UnknownKind::Asset,
            UnknownKind::Archive,
        ];
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>()
                .prop_filter("NaN never equals itself", |n| !n.is_nan())
                .prop_map(Value::Number),
            ".*".prop_map(Value::String),
            prop::sample::select(kinds.to_vec()).prop_map(Value::Unknown),
            (prop::option::of("[0-9a-f]{64}"), 0..3u8, ".*").prop_map(|(hash, k, s)| Value::Asset(
                Asset {
                    hash,
                    source: match k {
                        0 => AssetSource::Text(s),
                        1 => AssetSource::Path(s),
                        _ => AssetSource::Uri(s),
                    }
                }
            )),
            (
                "urn:[a-z:]{1,20}",
                prop::option::of("[a-z0-9-]{0,12}"),
                prop::option::of("[0-9.]{1,8}")
            )
                .prop_map(|(urn, id, v)| {
                    Value::ResourceRef(ResourceRef {
                        urn,
                        id: id.map(|i| Box::new(Value::String(i))),
                        package_version: v,
                    })
                }),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z]{1,8}", inner.clone(), 0..6)
                    .prop_map(Value::Object),
                inner.clone().prop_map(|v| Value::Secret(Box::new(v))),
                (
                    prop::option::of(inner.clone()),
                    any::<bool>(),
                    prop::collection::vec("urn:[a-z]{1,8}", 0..3)
                )
                    .prop_map(|(v, secret, dependencies)| Value::Output(
                        OutputValue {
                            value: v.map(Box::new),
                            secret,
                            dependencies
                        }
                    )),
                (
                    prop::option::of("[0-9a-f]{64}"),
                    prop::collection::btree_map("[a-z]{1,8}", inner.clone(), 0..4)
                )
                    .prop_map(|(hash, assets)| Value::Archive(Archive {
                        hash,
                        source: ArchiveSource::Assets(assets)
                    })),
                (prop::option::of("[0-9a-f]{64}"), "[a-z/]{1,12}").prop_map(|(hash, p)| {
                    Value::Archive(Archive {
                        hash,
                        source: ArchiveSource::Path(p),
                    })
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_value_survives_the_wire(v in value()) {
            prop_assert_eq!(decode(&encode(&v)), v);
        }

        #[test]
        fn property_bags_survive_the_wire(m in prop::collection::btree_map("[a-zA-Z]{1,10}", value(), 0..8)) {
            prop_assert_eq!(decode_struct(Some(&encode_struct(&m))), m);
        }
    }

    #[test]
    fn sentinels_decode_to_their_kinds() {
        let s = |x: &str| prost_types::Value {
            kind: Some(Kind::StringValue(x.into())),
        };
        assert_eq!(
            decode(&s("1c4a061d-8072-4f0a-a4cb-0ff528b18fe7")),
            Value::Unknown(UnknownKind::Bool)
        );
        assert_eq!(
            decode(&s("e48ece36-62e2-4504-bad9-02848725956a")),
            Value::Unknown(UnknownKind::Archive)
        );
        assert_eq!(decode(&s("plain")), Value::String("plain".into()));
    }

    #[test]
    fn a_secret_is_the_signature_object_the_engine_expects() {
        let wire = encode(&Value::Secret(Box::new(Value::String("pw".into()))));
        let Some(Kind::StructValue(s)) = wire.kind else {
            panic!("secret must be an object")
        };
        assert_eq!(
            s.fields[SIG_KEY].kind,
            Some(Kind::StringValue("1b47061264138c4ac30d75fd1eb44270".into()))
        );
        assert_eq!(s.fields["value"].kind, Some(Kind::StringValue("pw".into())));
    }
}
