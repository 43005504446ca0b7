//! The Ec2Fleet resource and its policy: inputs ([`args`]), outputs ([`outputs`]), naming and input
//! checks; the sub-resources it is made of ([`nodes`], [`plan`]); and what each operation does with
//! them: converge (create and update), destroy, refresh with drift, import, re-tag.

pub mod apply;
pub mod args;
pub mod converge;
pub mod destroy;
pub mod diff;
pub mod discover;
pub mod follow;
pub mod naming;
pub mod nodes;
pub mod outputs;
pub mod plan;
pub mod preflight;
pub mod ready;
pub mod refresh;
pub mod retag;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};

pub use args::FleetArgs;
pub use nodes::{Made, Node, Records};
pub use outputs::FleetOutputs;

use crate::aws::{Clients, Error, Waits};
use crate::identity::fleet_tags;
use crate::resources::Ctx;

/// What one operation on one fleet works with: the AWS clients, the request's waits, the fleet's
/// inputs and identity, and the provider's defaultTags.
pub struct FleetCtx<'a> {
    /// The AWS clients.
    pub aws: &'a Clients,
    /// The request's deadline and progress reporting.
    pub waits: &'a Waits,
    /// The fleet's checked inputs.
    pub args: &'a FleetArgs,
    /// The fleet's name prefix (its identity).
    pub prefix: &'a str,
    /// The provider's defaultTags.
    pub default_tags: &'a BTreeMap<String, String>,
    /// The header value CloudFront sends and the load balancer requires (CDN only).
    pub origin_secret: Option<&'a str>,
    /// The inputs the fleet had before, on an update.
    pub previous: Option<&'a FleetArgs>,
    /// The tags every object carries besides its identity (see [`fleet_tags`]).
    tags: BTreeMap<String, String>,
}

impl<'a> FleetCtx<'a> {
    /// The context of one operation on the fleet of `args`.
    pub fn new(
        aws: &'a Clients,
        waits: &'a Waits,
        args: &'a FleetArgs,
        prefix: &'a str,
        default_tags: &'a BTreeMap<String, String>,
        origin_secret: Option<&'a str>,
    ) -> Self {
        Self {
            aws,
            waits,
            args,
            prefix,
            default_tags,
            origin_secret,
            previous: None,
            tags: fleet_tags(default_tags, &args.tags),
        }
    }

    /// The same context for an update from the `previous` inputs.
    pub fn updating_from(self, previous: &'a FleetArgs) -> Self {
        Self {
            previous: Some(previous),
            ..self
        }
    }

    /// The context `node`'s reconciler works in.
    pub fn cx(&self, node: Node) -> Ctx<'_> {
        Ctx {
            aws: self.aws,
            waits: self.waits,
            prefix: self.prefix,
            node: node.name(),
            fleet_tags: &self.tags,
        }
    }

    /// The tags the fleet's objects carry besides their identity.
    pub fn fleet_tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The ports the listeners use: the listener port, and 443 when there is a certificate.
    pub fn listener_ports(&self) -> Vec<u16> {
        let a = self.args;
        let mut ports = vec![a.listener_port];
        if a.certificate_arn.is_some() && a.listener_port != 443 {
            ports.push(443);
        }
        ports
    }

    /// The `environment` input's values (secret).
    pub fn environment(&self) -> BTreeMap<String, String> {
        let env = &self.args.environment;
        env.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
    }

    /// The `assets` input's files, read again (they may have changed since Check).
    pub fn asset_files(&self) -> Result<crate::release::Bundle, Error> {
        let input = self.args.assets.as_ref().ok_or_else(|| {
            Error::Internal("the assets are synced only when the assets input is set".into())
        })?;
        let base = std::env::current_dir().unwrap_or_default();
        crate::release::archive::read(&input.0, &base).map_err(|reason| Error::Refused {
            service: "s3",
            operation: "PutObject",
            reason: format!("assets: {reason}"),
            cause: None,
        })
    }

    /// The `release` input's zip, read and checked again (its files may have changed since Check).
    pub fn release_zip(&self) -> Result<crate::release::bundle_zip::Zipped, Error> {
        let input = self.args.release.as_ref().ok_or_else(|| {
            Error::Internal("the release is made only when the release input is set".into())
        })?;
        let base = std::env::current_dir().unwrap_or_default();
        crate::release::build(input, &base).map_err(|reason| Error::Refused {
            service: "s3",
            operation: "PutObject",
            reason: format!("release: {reason}"),
            cause: None,
        })
    }

    /// The secret the listeners require and CloudFront sends: only while the CDN is on. A secret
    /// kept from an earlier CDN must not guard the listeners of a fleet without one, or every
    /// request would get the 403 meant for requests that bypass CloudFront.
    pub fn cdn_secret(&self) -> Option<&'a str> {
        self.origin_secret.filter(|_| self.args.cdn.enabled)
    }

    /// The ports the load balancer's security group opens: every listener port, or with the CDN
    /// only the one CloudFront connects to (the HTTP listener). AWS counts each reference to
    /// CloudFront's prefix list as its 55 entries against the group's 60 rules, so a second port
    /// would exceed the quota, and CloudFront never uses it.
    pub fn open_ports(&self) -> Vec<u16> {
        if self.args.cdn.enabled {
            vec![self.args.listener_port]
        } else {
            self.listener_ports()
        }
    }

    /// How many instances the group runs: the desired capacity, else the minimum.
    pub fn desired_capacity(&self) -> u32 {
        self.args.capacity().desired
    }
}

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
    /// The provider's defaultTags.
    pub default_tags: &'a BTreeMap<String, String>,
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
            default_tags: req.default_tags,
        },
    ));
    if errors.is_empty() {
        Ok(args)
    } else {
        Err(errors)
    }
}

/// The secret CloudFront sends and the load balancer requires: the one recorded, else a new one (32
/// random bytes, hex) when the CDN is on, else none. A secret is kept once made, so turning the CDN
/// off and on again keeps the listeners' rule and the distribution's header in step.
pub fn origin_secret(cdn: bool, recorded: Option<String>) -> Result<Option<String>, Error> {
    if recorded.is_some() || !cdn {
        return Ok(recorded);
    }
    let mut buf = [0u8; 32];
    getrandom::getrandom(&mut buf)
        .map_err(|e| Error::Internal(format!("no randomness for the origin secret: {e}")))?;
    Ok(Some(buf.iter().map(|b| format!("{b:02x}")).collect()))
}

/// Deserializes typed inputs, turning a type error into a failure that names its property.
pub fn parse<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> Result<T, InputError> {
    // The path names the offending property, unknown fields included.
    serde_path_to_error::deserialize(json).map_err(|e| InputError {
        property: property_path(e.path()),
        reason: e.inner().to_string(),
    })
}

/// A property path as Pulumi writes one: `cdn.aliases[0]`, with a key that is not a plain name
/// (empty, or holding `.`, `[`, `]`, `"` or spaces) as `["key"]`.
fn property_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let plain = !key.is_empty()
                    && !key.contains(|c: char| {
                        ".[]\"".contains(c) || c.is_whitespace() || c.is_control()
                    });
                match (plain, out.is_empty()) {
                    (true, true) => out.push_str(key),
                    (true, false) => out.push_str(&format!(".{key}")),
                    (false, _) => {
                        out.push_str(&format!("[{}]", serde_json::Value::from(key.as_str())))
                    }
                }
            }
            Segment::Unknown => out.push_str("[?]"),
        }
    }
    if out.is_empty() {
        "(the inputs)".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests;
