//! The VPC's block, the zones, and who may reach the instances over SSH.

use std::collections::BTreeSet;

use super::{cidr_problem, Errors};
use crate::fleet::args::FleetArgs;

/// Inbound rules a security group takes (AWS's default quota); the instances' group spends one on
/// the app port from the load balancer.
const RULES_PER_GROUP: usize = 60;

pub(super) fn check(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if e.known(&["vpcCidr"]) {
        vpc_cidr(&a.vpc_cidr, e);
    }
    if let Some(zones) = a
        .availability_zones
        .as_ref()
        .filter(|_| e.known(&["availabilityZones"]))
    {
        availability_zones(zones, region, e);
    }
    if e.known(&["sshIngressCidrs"]) {
        ssh(&a.ssh_ingress_cidrs, e);
    }
}

fn vpc_cidr(cidr: &str, e: &mut Errors) {
    match (cidr_problem(cidr), crate::cidr::parse(cidr)) {
        (Some(p), _) => e.push("vpcCidr", p),
        (None, Some((_, len))) if !(16..=24).contains(&len) => e.push(
            "vpcCidr",
            format!("/{len} is outside what the fleet can use: AWS allows VPCs of /16 to /28 and the fleet needs room for a subnet per zone, so use /16 to /24"),
        ),
        _ => {}
    }
}

fn availability_zones(zones: &[String], region: Option<&str>, e: &mut Errors) {
    if zones.len() < 2 {
        e.push(
            "availabilityZones",
            format!(
                "{} zone(s) given; an application load balancer needs at least 2",
                zones.len()
            ),
        );
    }
    if zones.len() > 6 {
        e.push(
            "availabilityZones",
            format!("{} zones given; at most 6 are supported", zones.len()),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, z) in zones.iter().enumerate() {
        let p = format!("availabilityZones[{i}]");
        if !seen.insert(z) {
            e.push(
                &p,
                format!("{z} is listed twice; each zone gets one subnet"),
            );
        } else if !is_zone_name(z) {
            e.push(
                &p,
                format!("{z:?} is not an availability zone name; expected a form like us-east-1a"),
            );
        } else if let Some(r) = region.filter(|r| !z.starts_with(r) || z.len() != r.len() + 1) {
            e.push(
                &p,
                format!("{z} is not in the provider's region {r}; use zones such as {r}a"),
            );
        }
    }
}

fn is_zone_name(z: &str) -> bool {
    let mut parts = z.split('-');
    let first = parts.next().unwrap_or("");
    let rest: Vec<_> = parts.collect();
    let last = rest.last().copied().unwrap_or("");
    first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && rest.len() >= 2
        && last.len() >= 2
        && last[..last.len() - 1].chars().all(|c| c.is_ascii_digit())
        && last.ends_with(|c: char| c.is_ascii_lowercase())
}

fn ssh(cidrs: &[String], e: &mut Errors) {
    if cidrs.len() >= RULES_PER_GROUP {
        e.push(
            "sshIngressCidrs",
            format!("{} ranges given; the instances' security group takes {RULES_PER_GROUP} rules, one of them the app port, so at most {}: merge ranges into larger blocks", cidrs.len(), RULES_PER_GROUP - 1),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, c) in cidrs.iter().enumerate() {
        let p = format!("sshIngressCidrs[{i}]");
        if let Some(problem) = cidr_problem(c) {
            e.push(p, problem);
        } else if !seen.insert(c) {
            e.push(p, format!("{c} is listed twice; give each range once"));
        }
    }
}
