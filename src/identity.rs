//! Who an AWS object belongs to, below both the fleet and its sub-resources: the fleet (its name
//! prefix) and the sub-resource (its node name), as the tags every object carries say it. Objects are
//! found again, adopted and told apart from a namesake of another owner by these tags alone.

use std::collections::BTreeMap;

/// Tag naming the fleet (its name prefix) on every object it makes.
pub const TAG_FLEET: &str = "ec2fleet:fleet";
/// Tag naming the sub-resource an object belongs to.
pub const TAG_NODE: &str = "ec2fleet:node";

/// One sub-resource of one fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// The fleet's name prefix.
    pub fleet: &'a str,
    /// The sub-resource's node name, like `LoadBalancerSecurityGroup`.
    pub node: &'static str,
}

impl Identity<'_> {
    /// The tags for this sub-resource's objects: `fleet_tags` (see [`fleet_tags`]), then the identity
    /// tags (which nothing may override) and a Name unless the user gave one.
    pub fn tags(&self, fleet_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut t = fleet_tags.clone();
        t.insert(TAG_FLEET.into(), self.fleet.into());
        t.insert(TAG_NODE.into(), self.node.into());
        t.entry("Name".into())
            .or_insert_with(|| format!("{}-{}", self.fleet, kebab(self.node)));
        t
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

/// `LoadBalancerSecurityGroup` -> `load-balancer-security-group`.
fn kebab(node: &str) -> String {
    let mut out = String::new();
    for (i, c) in node.chars().enumerate() {
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

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn identity_tags_win_over_user_tags_and_fleet_tags_over_defaults() {
        let all = fleet_tags(
            &map(&[("team", "red"), ("cost", "42")]),
            &map(&[("team", "blue"), (TAG_FLEET, "spoof")]),
        );
        let id = Identity {
            fleet: "web-1",
            node: "Vpc",
        };
        assert_eq!(
            id.tags(&all),
            map(&[
                ("team", "blue"),
                ("cost", "42"),
                (TAG_FLEET, "web-1"),
                (TAG_NODE, "Vpc"),
                ("Name", "web-1-vpc")
            ])
        );
        assert_eq!(
            kebab("LoadBalancerSecurityGroup"),
            "load-balancer-security-group"
        );
    }
}
