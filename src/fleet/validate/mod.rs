//! Semantic checks of the fleet's inputs, beyond what their types say: everything AWS would refuse
//! later, or that would harm the fleet, is refused here, before any object exists. Each failure names
//! the property, what is wrong and what would be right. Checks that involve a property whose value is
//! not known yet (during preview) are skipped; they run again when it is. One file per part of the
//! fleet; `tags` is shared with the provider's configuration.

mod capacity;
mod cdn;
mod delivery;
mod environment;
mod instances;
mod load_balancer;
mod network;
pub mod schedule;
pub mod tags;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::args::FleetArgs;
use super::InputError;

/// What validation needs to know beyond the inputs themselves.
pub struct Context<'a> {
    /// The provider's region, when configured.
    pub region: Option<&'a str>,
    /// Top-level properties whose values (or parts of them) are unknown.
    pub unknown: &'a BTreeSet<String>,
    /// The provider's defaultTags, which every object carries too.
    pub default_tags: &'a BTreeMap<String, String>,
}

/// Runs every check and returns all failures (empty when the inputs are good).
pub fn validate(a: &FleetArgs, cx: &Context) -> Vec<InputError> {
    let mut e = Errors {
        out: Vec::new(),
        unknown: cx.unknown,
    };
    network::check(a, cx.region, &mut e);
    instances::check(a, cx.region, &mut e);
    capacity::check(a, &mut e);
    load_balancer::check(a, cx.region, &mut e);
    delivery::check(a, &mut e);
    environment::check(a, &mut e);
    cdn::check(a, &mut e);
    fleet_tags(a, cx.default_tags, &mut e);
    e.out
}

/// The failures found so far, and which properties are unknown.
struct Errors<'a> {
    out: Vec<InputError>,
    unknown: &'a BTreeSet<String>,
}

impl Errors<'_> {
    fn known(&self, props: &[&str]) -> bool {
        props.iter().all(|p| !self.unknown.contains(*p))
    }
    fn push(&mut self, property: impl Into<String>, reason: impl Into<String>) {
        self.out.push(InputError {
            property: property.into(),
            reason: reason.into(),
        });
    }
}

/// Why `s` is not a usable IPv4 network CIDR, if it is not.
fn cidr_problem(s: &str) -> Option<String> {
    let Some((addr, len)) = crate::cidr::parse(s) else {
        return Some(format!(
            "{s:?} is not an IPv4 CIDR block; expected a form like 10.0.0.0/16"
        ));
    };
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let net = Ipv4Addr::from(u32::from(addr) & mask);
    (net != addr).then(|| format!("{s} has host bits set; did you mean {net}/{len}?"))
}

/// Whether `h` is a DNS name (a leading `*.` allowed): labels of letters, digits and inner hyphens.
fn is_host_name(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    h.len() <= 253
        && h.contains('.')
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Splits an ACM certificate ARN into its region, if it is one.
fn acm_region(arn: &str) -> Option<&str> {
    let parts: Vec<_> = arn.splitn(6, ':').collect();
    (parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm"
        && parts[5].starts_with("certificate/"))
    .then(|| parts[3])
}

/// The fleet's tags: each by AWS's rules, and all of them, with the provider's and the fleet's own,
/// within the 50 an object takes.
fn fleet_tags(a: &FleetArgs, defaults: &BTreeMap<String, String>, e: &mut Errors) {
    if !e.known(&["tags"]) {
        return;
    }
    for (k, v) in &a.tags {
        for (p, r) in tags::tag_problems("tags", k, v) {
            e.push(p, r);
        }
    }
    let n = tags::count_on_objects(defaults, &a.tags);
    if n > tags::MAX_TAGS {
        e.push(
            "tags",
            format!(
                "each object would carry {n} tags ({} given, {} from the provider's defaultTags, the fleet's identity tags and Name); AWS allows {}: remove {}",
                a.tags.len(),
                defaults.len(),
                tags::MAX_TAGS,
                n - tags::MAX_TAGS
            ),
        );
    }
}

/// Inputs that are allowed but weaken the fleet's security; each is worth telling the user about.
pub fn warnings(a: &FleetArgs) -> Vec<String> {
    let mut out = Vec::new();
    if a.ssh_ingress_cidrs.iter().any(|c| c.ends_with("/0")) {
        out.push("sshIngressCidrs opens port 22 to the whole internet; prefer your own address range or SSM Session Manager".to_string());
    }
    if !a.cdn.enabled {
        out.push(
            "cdn.enabled is false, so the load balancer accepts traffic from the whole internet"
                .to_string(),
        );
    }
    out
}
