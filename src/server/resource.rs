//! The Ec2Fleet resource's protocol glue: Check and the preview half of Create, converting between the
//! engine's property values and the typed fleet structs.

use std::collections::{BTreeMap, BTreeSet};

use crate::fleet::{self, naming::Autonaming, FleetOutputs, InputError};
use crate::proto::pulumirpc::check_request::{autonaming_options::Mode, AutonamingOptions};

use super::props::{PropertyMap, UnknownKind, Value};
use super::typed;

/// The engine's Check request, reduced to what the fleet needs.
pub struct CheckInput<'a> {
    /// The new inputs.
    pub news: &'a PropertyMap,
    /// The inputs recorded last time (empty on first create).
    pub olds: &'a PropertyMap,
    /// The resource's name in the program.
    pub name: &'a str,
    /// The engine's random seed for this resource.
    pub random_seed: &'a [u8],
    /// The engine's autonaming instruction, if it sent one.
    pub autonaming: Option<&'a AutonamingOptions>,
    /// The provider's region.
    pub region: Option<&'a str>,
    /// The provider's defaultTags.
    pub default_tags: &'a BTreeMap<String, String>,
}

/// The outcome of Check: the inputs with defaults and name filled in, and the security warnings.
pub struct Checked {
    /// Inputs to record, unknowns and secrets preserved.
    pub inputs: PropertyMap,
    /// Warnings to show the user.
    pub warnings: Vec<String>,
}

/// Validates inputs and fills defaults.
pub fn check(req: CheckInput) -> Result<Checked, Vec<InputError>> {
    let unknown: BTreeSet<String> = req
        .news
        .iter()
        .filter(|(_, v)| !typed::is_known(v))
        .map(|(k, _)| k.clone())
        .collect();
    let previous_prefix = match req.olds.get("namePrefix") {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let args = fleet::check(fleet::CheckRequest {
        news: typed::to_json(req.news),
        unknown,
        previous_prefix,
        autonaming: autonaming(req.autonaming, req.name, req.random_seed),
        region: req.region,
        default_tags: req.default_tags,
    })?;
    let warnings = fleet::validate::warnings(&args);
    let filled = serde_json::to_value(&args)
        .map(|j| typed::map_from_json(&j))
        .unwrap_or_default();
    Ok(Checked {
        inputs: super::lifecycle::with_secret_inputs(typed::overlay_map(req.news, filled)),
        warnings,
    })
}

fn autonaming(opts: Option<&AutonamingOptions>, name: &str, seed: &[u8]) -> Autonaming {
    let legacy = || Autonaming::Legacy {
        resource_name: name.to_string(),
        seed: seed.to_vec(),
    };
    let Some(o) = opts else { return legacy() };
    match Mode::try_from(o.mode).unwrap_or(Mode::Propose) {
        Mode::Disable => Autonaming::Disable,
        Mode::Enforce => Autonaming::Enforce(o.proposed_name.clone()),
        Mode::Propose if o.proposed_name.is_empty() => legacy(),
        Mode::Propose => Autonaming::Propose(o.proposed_name.clone()),
    }
}

/// The state a preview of Create reports: the inputs, and every output not yet known marked unknown.
pub fn preview_state(inputs: &PropertyMap) -> PropertyMap {
    let mut state = inputs.clone();
    let outputs = serde_json::to_value(FleetOutputs::default()).unwrap_or_default();
    for (key, sample) in outputs.as_object().into_iter().flatten() {
        let known = inputs
            .get(key)
            .is_some_and(|v| typed::is_known(v) && *v != Value::Null);
        if !known {
            let kind = if sample.is_array() {
                UnknownKind::Array
            } else {
                UnknownKind::String
            };
            state.insert(key.clone(), Value::Unknown(kind));
        }
    }
    state
}
