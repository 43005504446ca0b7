//! The CloudFront distribution and the DNS record.

use super::{acm_region, is_host_name, Errors};
use crate::fleet::args::{Cdn, Dns, FleetArgs};

/// Alternate domain names per distribution (CloudFront's default quota).
const MAX_ALIASES: usize = 100;

pub(super) fn check(a: &FleetArgs, e: &mut Errors) {
    if e.known(&["cdn"]) {
        cdn(&a.cdn, e);
    }
    if let (Some(d), true) = (&a.dns, e.known(&["dns"])) {
        dns(d, e);
        if a.cdn.enabled && e.known(&["cdn"]) {
            dns_served_by_cdn(d, &a.cdn, e);
        }
    }
}

fn cdn(c: &Cdn, e: &mut Errors) {
    if c.aliases.len() > MAX_ALIASES {
        e.push(
            "cdn.aliases",
            format!(
                "{} aliases given; a distribution takes at most {MAX_ALIASES}",
                c.aliases.len()
            ),
        );
    }
    if c.min_ttl > c.default_ttl || c.default_ttl > c.max_ttl {
        e.push(
            "cdn.defaultTtl",
            format!(
                "TTLs must satisfy minTtl <= defaultTtl <= maxTtl; got {} <= {} <= {}",
                c.min_ttl, c.default_ttl, c.max_ttl
            ),
        );
    }
    if c.max_ttl == 0 {
        e.push(
            "cdn.maxTtl",
            "0 turns caching off, and CloudFront then refuses query strings and cookies in the cache key, which is what the fleet forwards to the app; use at least 1 (with defaultTtl 0, a response without Cache-Control is not cached)",
        );
    }
    match c.certificate_arn.as_deref().map(|a| (a, acm_region(a))) {
        Some((a, None)) => e.push("cdn.certificateArn", format!("{a:?} is not an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID)")),
        Some((_, Some(r))) if r != "us-east-1" => e.push(
            "cdn.certificateArn",
            format!("the certificate is in {r}, but CloudFront only accepts certificates from us-east-1; request or import it there"),
        ),
        _ => {}
    }
    if !c.aliases.is_empty() && c.certificate_arn.is_none() {
        e.push("cdn.aliases", "CloudFront serves aliases only with a certificate that covers them: set cdn.certificateArn (in us-east-1)");
    }
    if !c.aliases.is_empty() && !c.enabled {
        e.push(
            "cdn.aliases",
            "aliases need the CDN: set cdn.enabled to true or remove the aliases",
        );
    }
    for (i, h) in c.aliases.iter().enumerate() {
        if !is_host_name(h) {
            e.push(
                format!("cdn.aliases[{i}]"),
                format!("{h:?} is not a domain name"),
            );
        }
    }
}

fn dns(d: &Dns, e: &mut Errors) {
    let id = &d.hosted_zone_id;
    if !id.starts_with('Z')
        || id.len() > 32
        || !id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        e.push("dns.hostedZoneId", format!("{id:?} is not a Route 53 hosted zone ID; expected a form like Z0123456789ABCDEFGHIJ"));
    }
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    match (&d.zone_name, &d.record_name) {
        (None, None) => e.push(
            "dns",
            "set recordName (the record's full name) or zoneName (to use the zone apex)",
        ),
        (Some(z), Some(r))
            if !(norm(r) == norm(z) || norm(r).ends_with(&format!(".{}", norm(z)))) =>
        {
            e.push("dns.recordName", format!("{r} is not inside the zone {z}"))
        }
        _ => {}
    }
    for (prop, name) in [
        ("dns.zoneName", &d.zone_name),
        ("dns.recordName", &d.record_name),
    ] {
        if let Some(n) = name
            .as_ref()
            .filter(|n| !is_host_name(n.trim_end_matches('.')))
        {
            e.push(prop, format!("{n:?} is not a domain name"));
        }
    }
}

/// With the CDN on, the record points at the distribution, and CloudFront answers 403 for a Host
/// that is not one of its aliases: the record's name must be one (or match a `*.` alias).
fn dns_served_by_cdn(d: &Dns, c: &Cdn, e: &mut Errors) {
    let (prop, name) = match (&d.record_name, &d.zone_name) {
        (Some(r), _) => ("dns.recordName", r),
        (None, Some(z)) => ("dns.zoneName", z),
        (None, None) => return,
    };
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let host = norm(name);
    let covered = c
        .aliases
        .iter()
        .map(|a| norm(a))
        .any(|alias| match alias.strip_prefix("*.") {
            Some(parent) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            None => alias == host,
        });
    if !covered {
        e.push(
            prop,
            format!("{host} points at the CDN, which only answers for its aliases ({}): add {host} to cdn.aliases (with a certificate covering it), or turn the CDN off", if c.aliases.is_empty() { "none".to_string() } else { c.aliases.join(", ") }),
        );
    }
}
