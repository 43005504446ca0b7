//! Diff and the shape of an update: which input changes the engine is told about, which of them
//! replace the fleet, and how an update then treats what the fleet already has.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::converge::How;
use super::nodes::Records;
use super::{destroy, plan, retag, FleetArgs};

/// The pseudo-property Diff reports when an update that stopped part way must be finished.
pub const PENDING: &str = "__pendingFrom";
/// The pseudo-property Diff reports when the records miss parts the inputs need.
pub const INCOMPLETE: &str = "__fleet";

/// What Diff tells the engine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The changed top-level properties.
    pub changed: Vec<String>,
    /// Those of them whose change replaces the fleet.
    pub replaces: Vec<String>,
    /// Whether the old fleet must be deleted before its replacement is made: when the replacement
    /// keeps the name prefix, its objects carry the same names and identity tags, so a
    /// replacement made first would adopt the old fleet's objects, and the old fleet's delete would
    /// then remove what the new one stands on.
    pub delete_before_replace: bool,
}

/// What the state says about the fleet, besides its inputs.
pub struct Recorded<'a> {
    /// The records of what exists, when the state's parse (an unreadable state skips the check
    /// for missing parts rather than failing Diff).
    pub records: Option<&'a Records>,
    /// Whether an update stopped part way (see [`PENDING`]).
    pub pending: bool,
    /// The tags the objects carry besides their identity, when recorded.
    pub tags_all: Option<&'a BTreeMap<String, String>>,
}

/// The input properties whose change replaces the fleet: those its inputs' schema marks
/// `replaceOnChanges` (the one declaration, on the fields of [`FleetArgs`]).
pub fn replace_keys() -> Vec<String> {
    let schema = serde_json::to_value(schemars::schema_for!(FleetArgs)).unwrap_or_default();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["replaceOnChanges"] == Value::Bool(true))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Compares the old inputs with the new (JSON as the engine sent them). `new_args` are the new inputs
/// checked (absent when they do not parse) and `new_tags` the tags they give the objects under the
/// provider's current defaultTags.
pub fn diff(
    olds: &Value,
    news: &Value,
    ignore: &[String],
    state: &Recorded<'_>,
    new: Option<(&FleetArgs, &BTreeMap<String, String>)>,
) -> Changes {
    let mut changed = changed_keys(olds, news);
    changed.retain(|k| !ignore.contains(k));
    if state.pending && changed.is_empty() {
        changed.push(PENDING.into());
    }
    if let Some((args, tags)) = new {
        // The provider's defaultTags changed under the fleet: its objects need the new ones.
        if state.tags_all.is_some_and(|old| old != tags) && !changed.iter().any(|k| k == "tags") {
            changed.push("tags".into());
        }
        // A fleet whose records miss parts its inputs need was left incomplete: an update finishes it.
        if let Some(have) = state.records.map(Records::all) {
            let missing = plan::graph(args).iter().any(|(n, _)| !have.contains_key(n));
            if missing && changed.is_empty() {
                changed.push(INCOMPLETE.into());
            }
        }
    }
    let replace = replace_keys();
    let replaces: Vec<String> = changed
        .iter()
        .filter(|k| replace.contains(k))
        .cloned()
        .collect();
    let delete_before_replace = !replaces.is_empty() && !replaces.iter().any(|k| k == "namePrefix");
    Changes {
        changed,
        replaces,
        delete_before_replace,
    }
}

/// How an update from `old` inputs (JSON and checked) and tags to `new` ones treats what exists:
/// with the same inputs and tags it resumes, making only what is missing; otherwise every node
/// reconciles its object (each adopts what exists and brings it to the new settings).
pub fn update(
    (old_json, old): (&Value, &FleetArgs),
    (new_json, new): (&Value, &FleetArgs),
    old_tags: &BTreeMap<String, String>,
    new_tags: &BTreeMap<String, String>,
) -> How {
    How {
        resume: old_json == new_json && old_tags == new_tags,
        replace: destroy::replaced(old, new),
        retag: retag::removed_keys(old_tags, new_tags),
    }
}

/// Top-level keys whose values differ between two JSON objects.
pub fn changed_keys(olds: &Value, news: &Value) -> Vec<String> {
    let keys: BTreeSet<&String> = olds
        .as_object()
        .into_iter()
        .chain(news.as_object())
        .flat_map(|m| m.keys())
        .collect();
    keys.into_iter()
        .filter(|k| olds.get(k.as_str()) != news.get(k.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn replacement_is_declared_once_on_the_inputs() {
        assert_eq!(
            replace_keys(),
            ["namePrefix", "vpcCidr", "availabilityZones", "appPort"]
        );
    }

    fn unchanged() -> Recorded<'static> {
        static EMPTY: std::sync::OnceLock<Records> = std::sync::OnceLock::new();
        Recorded {
            records: Some(EMPTY.get_or_init(Records::default)),
            pending: false,
            tags_all: None,
        }
    }

    #[test]
    fn changes_are_reported_by_key_and_only_replacing_ones_replace() {
        let cases = [
            (
                json!({"appPort": 80}),
                json!({"appPort": 81}),
                vec!["appPort"],
                vec!["appPort"],
            ),
            (
                json!({"minCapacity": 2}),
                json!({"minCapacity": 3}),
                vec!["minCapacity"],
                vec![],
            ),
            (
                json!({"vpcCidr": "10.0.0.0/16"}),
                json!({}),
                vec!["vpcCidr"],
                vec!["vpcCidr"],
            ),
            (json!({"tags": {}}), json!({"tags": {}}), vec![], vec![]),
        ];
        for (old, new, changed, replaces) in cases {
            let c = diff(&old, &new, &[], &unchanged(), None);
            assert_eq!(c.changed, changed, "{old} -> {new}");
            assert_eq!(c.replaces, replaces, "{old} -> {new}");
        }
        let same_name = diff(
            &json!({"namePrefix": "web", "vpcCidr": "10.0.0.0/16"}),
            &json!({"namePrefix": "web", "vpcCidr": "10.1.0.0/16"}),
            &[],
            &unchanged(),
            None,
        );
        assert!(
            same_name.delete_before_replace,
            "the same names cannot stand twice"
        );
        let renamed = diff(
            &json!({"namePrefix": "web", "appPort": 80}),
            &json!({"namePrefix": "shop", "appPort": 81}),
            &[],
            &unchanged(),
            None,
        );
        assert_eq!(renamed.replaces, ["appPort", "namePrefix"]);
        assert!(
            !renamed.delete_before_replace,
            "a new name can stand beside the old fleet"
        );
        let updated = diff(
            &json!({"minCapacity": 2}),
            &json!({"minCapacity": 3}),
            &[],
            &unchanged(),
            None,
        );
        assert!(!updated.delete_before_replace);
        let ignored = diff(
            &json!({"appPort": 80}),
            &json!({"appPort": 81}),
            &["appPort".into()],
            &unchanged(),
            None,
        );
        assert_eq!(ignored, Changes::default());
    }

    #[test]
    fn an_unfinished_update_or_an_incomplete_fleet_still_diffs() {
        let pending = Recorded {
            pending: true,
            ..unchanged()
        };
        let c = diff(&json!({}), &json!({}), &[], &pending, None);
        assert_eq!(c.changed, [PENDING]);
        let args: FleetArgs = crate::fleet::parse(json!({})).unwrap();
        let tags = BTreeMap::new();
        let c = diff(
            &json!({}),
            &json!({}),
            &[],
            &unchanged(),
            Some((&args, &tags)),
        );
        assert_eq!(c.changed, [INCOMPLETE]);
    }
}
