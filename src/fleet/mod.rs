//! The Ec2Fleet resource: its inputs ([`args`]), outputs ([`outputs`]), naming and input checks.

pub mod apply;
pub mod args;
pub mod converge;
pub mod destroy;
pub mod discover;
pub mod naming;
pub mod outputs;
pub mod plan;
pub mod ready;
pub mod refresh;
pub mod retag;
pub mod state;
pub mod validate;

use std::collections::BTreeSet;

pub use args::FleetArgs;
pub use outputs::FleetOutputs;

/// The resource's type token.
pub const TOKEN: &str = "ec2fleet:index:Ec2Fleet";

/// A problem with one input property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Path of the property, like `healthCheck.intervalSeconds` or `scheduledActions[0].cron`.
    pub property: String,
    /// What is wrong and what would be right.
    pub reason: String,
}

/// What [`check`] needs besides the inputs.
pub struct CheckRequest<'a> {
    /// The new inputs as JSON, unknown values left out.
    pub news: serde_json::Value,
    /// Top-level properties whose values (or parts of them) are unknown.
    pub unknown: BTreeSet<String>,
    /// The name prefix recorded by the previous Check, if any.
    pub previous_prefix: Option<&'a str>,
    /// The engine's autonaming instruction.
    pub autonaming: naming::Autonaming,
    /// The provider's region.
    pub region: Option<&'a str>,
}

/// Parses and validates the inputs, filling defaults and the name prefix; returns every failure found.
pub fn check(req: CheckRequest) -> Result<FleetArgs, Vec<InputError>> {
    let mut args: FleetArgs = parse(req.news).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if !req.unknown.contains("namePrefix") {
        match naming::resolve(
            args.name_prefix.as_deref(),
            req.previous_prefix,
            &req.autonaming,
        ) {
            Ok(p) => args.name_prefix = Some(p),
            Err(e) => errors.push(e),
        }
    }
    errors.extend(validate::validate(
        &args,
        &validate::Context {
            region: req.region,
            unknown: &req.unknown,
        },
    ));
    if errors.is_empty() {
        Ok(args)
    } else {
        Err(errors)
    }
}

/// Deserializes typed inputs, turning a type error into a failure that names its property.
pub fn parse<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> Result<T, InputError> {
    // The path names the offending property, unknown fields included.
    serde_path_to_error::deserialize(json).map_err(|e| InputError {
        property: e.path().to_string(),
        reason: e.inner().to_string(),
    })
}

#[cfg(test)]
mod tests;
