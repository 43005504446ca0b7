//! One file per AWS sub-resource of a fleet (`network/vpc.rs`, ...). Each is an idempotent reconciler:
//! create first looks for its own tagged object and adopts it (a lost response or a crash never makes a
//! second one), delete treats "not found" as done, read reports `None` when the object is gone.

pub mod cdn;
pub mod compute;
pub mod delivery;
pub mod dns;
pub mod iam;
pub mod lb;
pub mod network;
pub mod observability;
pub mod storage;
pub mod tagging;

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients, Waits};
use crate::fleet::plan::Node;
use crate::fleet::FleetArgs;

/// Tag naming the fleet (its name prefix) on every object it makes.
pub const TAG_FLEET: &str = "ec2fleet:fleet";
/// Tag naming the sub-resource an object belongs to.
pub const TAG_NODE: &str = "ec2fleet:node";

/// What every sub-resource needs: the AWS clients, the fleet's inputs and its identity.
pub struct Ctx<'a> {
    /// The AWS clients.
    pub aws: &'a Clients,
    /// The fleet's checked inputs.
    pub args: &'a FleetArgs,
    /// The fleet's name prefix (its identity).
    pub prefix: &'a str,
    /// The provider's defaultTags.
    pub default_tags: &'a BTreeMap<String, String>,
    /// The request's deadline and progress reporting, for anything that waits on AWS.
    pub waits: &'a Waits,
}

impl Ctx<'_> {
    /// The tags for one sub-resource's objects: provider defaults, then the fleet's own tags, then the
    /// identity tags (which nothing may override) and a Name.
    pub fn tags(&self, node: Node) -> BTreeMap<String, String> {
        tags_for(self.default_tags, &self.args.tags, self.prefix, node)
    }

    /// Of the tags on one of `node`'s objects, those the fleet's `tags` input put there: not the
    /// identity tags, nor the generated Name, nor provider defaults with their default values.
    pub fn own_tags(
        &self,
        node: Node,
        on_object: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let implied = tags_for(self.default_tags, &BTreeMap::new(), self.prefix, node);
        on_object
            .into_iter()
            .filter(|(k, v)| implied.get(k) != Some(v))
            .collect()
    }
}

/// The tags every object of a fleet carries besides its identity: the provider's defaultTags with the
/// fleet's own `tags` over them.
pub fn fleet_tags(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut t = defaults.clone();
    t.extend(own.clone());
    t
}

/// See [`Ctx::tags`].
fn tags_for(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
    prefix: &str,
    node: Node,
) -> BTreeMap<String, String> {
    let mut t = fleet_tags(defaults, own);
    t.insert(TAG_FLEET.into(), prefix.into());
    t.insert(TAG_NODE.into(), node.to_string());
    t.entry("Name".into())
        .or_insert_with(|| format!("{prefix}-{}", kebab(node)));
    t
}

/// The error for a name the fleet needs that an object of another owner already has: adopting it would
/// take over (and later delete) something that is not ours.
pub fn name_taken(
    service: &'static str,
    operation: &'static str,
    what: &str,
    name: &str,
    prefix: &str,
) -> AwsError {
    AwsError::conflict(service, operation, format!("{what} named {name} exists but does not belong to fleet {prefix}; choose another namePrefix"))
}

/// `LoadBalancerSecurityGroup` -> `load-balancer-security-group`.
fn kebab(node: Node) -> String {
    let mut out = String::new();
    for (i, c) in node.to_string().chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_tags_win_over_user_tags_and_fleet_tags_over_defaults() {
        let s = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let t = tags_for(
            &s(&[("team", "red"), ("cost", "42")]),
            &s(&[("team", "blue"), (TAG_FLEET, "spoof")]),
            "web-1",
            Node::Vpc,
        );
        assert_eq!(
            t,
            s(&[
                ("team", "blue"),
                ("cost", "42"),
                (TAG_FLEET, "web-1"),
                (TAG_NODE, "Vpc"),
                ("Name", "web-1-vpc")
            ])
        );
        assert_eq!(
            kebab(Node::LoadBalancerSecurityGroup),
            "load-balancer-security-group"
        );
    }
}
