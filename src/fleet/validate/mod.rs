//! Semantic checks of the fleet's inputs, beyond what their types say. Each failure names the property,
//! what is wrong and what would be right. Checks that involve a property whose value is not known yet
//! (during preview) are skipped; they run again when it is.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::args::{Cdn, Dns, FleetArgs, HealthCheck, ScheduledAction};
use super::InputError;

/// What validation needs to know beyond the inputs themselves.
pub struct Context<'a> {
    /// The provider's region, when configured.
    pub region: Option<&'a str>,
    /// Top-level properties whose values (or parts of them) are unknown.
    pub unknown: &'a BTreeSet<String>,
}

/// Runs every check and returns all failures (empty when the inputs are good).
pub fn validate(a: &FleetArgs, cx: &Context) -> Vec<InputError> {
    let mut e = Errors {
        out: Vec::new(),
        unknown: cx.unknown,
    };
    network(a, cx.region, &mut e);
    instances(a, &mut e);
    capacity(a, &mut e);
    load_balancer(a, cx.region, &mut e);
    delivery(a, &mut e);
    if e.known(&["cdn"]) {
        cdn(&a.cdn, &mut e);
    }
    if let (Some(d), true) = (&a.dns, e.known(&["dns"])) {
        dns(d, &mut e);
        if a.cdn.enabled && e.known(&["cdn"]) {
            dns_served_by_cdn(d, &a.cdn, &mut e);
        }
    }
    tags(a, &mut e);
    e.out
}

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

fn network(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if e.known(&["vpcCidr"]) {
        match (cidr_problem(&a.vpc_cidr), crate::cidr::parse(&a.vpc_cidr)) {
            (Some(p), _) => e.push("vpcCidr", p),
            (None, Some((_, len))) if !(16..=24).contains(&len) => e.push(
                "vpcCidr",
                format!("/{len} is outside what the fleet can use: AWS allows VPCs of /16 to /28 and the fleet needs room for a subnet per zone, so use /16 to /24"),
            ),
            _ => {}
        }
    }
    let Some(zones) = a
        .availability_zones
        .as_ref()
        .filter(|_| e.known(&["availabilityZones"]))
    else {
        return;
    };
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

fn instances(a: &FleetArgs, e: &mut Errors) {
    let t = &a.instance_type;
    let ok = t.split_once('.').is_some_and(|(f, s)| {
        !f.is_empty()
            && !s.is_empty()
            && f.starts_with(|c: char| c.is_ascii_lowercase())
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    });
    if e.known(&["instanceType"]) && !ok {
        e.push(
            "instanceType",
            format!("{t:?} is not an EC2 instance type; expected a form like t3.micro"),
        );
    }
    if let Some(ami) = a.ami.as_ref().filter(|_| e.known(&["ami"])) {
        let hex = ami.strip_prefix("ami-").unwrap_or("");
        if !(8..=17).contains(&hex.len()) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            e.push("ami", format!("{ami:?} is not an AMI ID; expected ami- and 8 or 17 hex digits, or leave it unset for the latest Amazon Linux 2023"));
        }
    }
    if let Some(k) = a.key_name.as_ref().filter(|_| e.known(&["keyName"])) {
        if k.is_empty() || k.len() > 255 || !k.is_ascii() {
            e.push(
                "keyName",
                "must be the name of an existing key pair: 1-255 ASCII characters",
            );
        }
    }
    if e.known(&["sshIngressCidrs"]) {
        for (i, c) in a.ssh_ingress_cidrs.iter().enumerate() {
            if let Some(p) = cidr_problem(c) {
                e.push(format!("sshIngressCidrs[{i}]"), p);
            }
        }
    }
    let v = &a.node_version;
    if e.known(&["nodeVersion"])
        && (v.is_empty()
            || v.split('.').count() > 3
            || !v
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
    {
        e.push(
            "nodeVersion",
            format!(
                "{v:?} is not a Node.js version; expected a major version like 22 (or 22.11.0)"
            ),
        );
    }
    if e.known(&["appPort"]) && a.app_port == 0 {
        e.push("appPort", "must be a TCP port from 1 to 65535");
    }
}

fn capacity(a: &FleetArgs, e: &mut Errors) {
    if !e.known(&["minCapacity", "maxCapacity", "desiredCapacity"]) {
        return;
    }
    if a.max_capacity == 0 {
        e.push("maxCapacity", "must be at least 1");
    }
    if a.min_capacity > a.max_capacity {
        e.push(
            "minCapacity",
            format!(
                "{} is more than maxCapacity {}",
                a.min_capacity, a.max_capacity
            ),
        );
    }
    if let Some(d) = a
        .desired_capacity
        .filter(|d| !(a.min_capacity..=a.max_capacity).contains(d))
    {
        e.push(
            "desiredCapacity",
            format!(
                "{d} is outside minCapacity..maxCapacity ({}..{})",
                a.min_capacity, a.max_capacity
            ),
        );
    }
    if e.known(&["scheduledActions"]) {
        scheduled_actions(&a.scheduled_actions, e);
    }
}

fn scheduled_actions(actions: &[ScheduledAction], e: &mut Errors) {
    let mut names = BTreeSet::new();
    for (i, s) in actions.iter().enumerate() {
        let p = |f: &str| format!("scheduledActions[{i}].{f}");
        if s.name.is_empty() || s.name.len() > 255 {
            e.push(p("name"), "must be 1-255 characters");
        } else if !names.insert(&s.name) {
            e.push(
                p("name"),
                format!(
                    "{:?} is used by another scheduled action; names must be unique",
                    s.name
                ),
            );
        }
        let fields: Vec<_> = s.cron.split_whitespace().collect();
        let cron_chars = |f: &&str| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || "*/,-?#".contains(c))
        };
        if fields.len() != 5 || !fields.iter().all(cron_chars) {
            e.push(
                p("cron"),
                format!(
                    "{:?} is not a cron expression; expected five fields like \"0 10 * * *\"",
                    s.cron
                ),
            );
        }
        if s.min_capacity > s.max_capacity {
            e.push(
                p("minCapacity"),
                format!(
                    "{} is more than maxCapacity {}",
                    s.min_capacity, s.max_capacity
                ),
            );
        }
        if let Some(d) = s
            .desired_capacity
            .filter(|d| !(s.min_capacity..=s.max_capacity).contains(d))
        {
            e.push(
                p("desiredCapacity"),
                format!("{d} is outside {}..{}", s.min_capacity, s.max_capacity),
            );
        }
        if let Some(tz) = &s.time_zone {
            let ok = !tz.is_empty()
                && tz.split('/').all(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
                });
            if !ok {
                e.push(p("timeZone"), format!("{tz:?} is not an IANA time zone; expected a form like Europe/London or UTC"));
            }
        }
    }
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

fn load_balancer(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if e.known(&["listenerPort"]) && a.listener_port == 0 {
        e.push("listenerPort", "must be a TCP port from 1 to 65535");
    }
    if let Some(arn) = a
        .certificate_arn
        .as_ref()
        .filter(|_| e.known(&["certificateArn"]))
    {
        match (acm_region(arn), region) {
            (None, _) => e.push("certificateArn", format!("{arn:?} is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)")),
            (Some(c), Some(r)) if c != r => e.push(
                "certificateArn",
                format!("the certificate is in {c}, but a load balancer can only use a certificate from its own region {r}; request or import one in {r}"),
            ),
            _ => {}
        }
    }
    if e.known(&["healthCheck"]) {
        health_check(&a.health_check, e);
    }
    if e.known(&["deregistrationDelaySeconds"]) && a.deregistration_delay_seconds > 3600 {
        e.push(
            "deregistrationDelaySeconds",
            format!(
                "{} is more than the 3600 seconds AWS allows",
                a.deregistration_delay_seconds
            ),
        );
    }
}

fn health_check(h: &HealthCheck, e: &mut Errors) {
    if !h.path.starts_with('/') || h.path.len() > 1024 {
        e.push(
            "healthCheck.path",
            format!(
                "{:?} must start with / and be at most 1024 characters",
                h.path
            ),
        );
    }
    if !(5..=300).contains(&h.interval_seconds) {
        e.push(
            "healthCheck.intervalSeconds",
            format!("{} is outside 5..300 seconds", h.interval_seconds),
        );
    }
    if !(2..=120).contains(&h.timeout_seconds) {
        e.push(
            "healthCheck.timeoutSeconds",
            format!("{} is outside 2..120 seconds", h.timeout_seconds),
        );
    } else if h.timeout_seconds >= h.interval_seconds {
        e.push(
            "healthCheck.timeoutSeconds",
            format!(
                "{} must be less than intervalSeconds ({})",
                h.timeout_seconds, h.interval_seconds
            ),
        );
    }
    for (name, v) in [
        ("healthyThreshold", h.healthy_threshold),
        ("unhealthyThreshold", h.unhealthy_threshold),
    ] {
        if !(2..=10).contains(&v) {
            e.push(
                format!("healthCheck.{name}"),
                format!("{v} is outside 2..10"),
            );
        }
    }
}

fn delivery(a: &FleetArgs, e: &mut Errors) {
    let d = &a.deployment_config;
    let ok = !d.is_empty()
        && d.len() <= 100
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+=,@-".contains(c));
    if e.known(&["deploymentConfig"]) && !ok {
        e.push("deploymentConfig", format!("{d:?} is not a CodeDeploy deployment configuration name, such as CodeDeployDefault.HalfAtATime"));
    }
    let k = &a.source_key;
    if e.known(&["sourceKey"])
        && (k.is_empty() || k.starts_with('/') || k.len() > 1024 || !k.ends_with(".zip"))
    {
        e.push("sourceKey", format!("{k:?} must be an S3 key of a zip archive (like source.zip or releases/app.zip), without a leading /"));
    }
}

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

fn cdn(c: &Cdn, e: &mut Errors) {
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

fn tags(a: &FleetArgs, e: &mut Errors) {
    if !e.known(&["tags"]) {
        return;
    }
    // AWS allows 50 tags an object; the fleet adds its own identity tags.
    if a.tags.len() > 40 {
        e.push(
            "tags",
            format!(
                "{} tags given; at most 40 fit beside the fleet's own tags",
                a.tags.len()
            ),
        );
    }
    for (k, v) in &a.tags {
        if k.is_empty() || k.len() > 128 || k.to_ascii_lowercase().starts_with("aws:") {
            e.push(
                format!("tags.{k}"),
                "tag keys must be 1-128 characters and must not start with aws:",
            );
        }
        if v.len() > 256 {
            e.push(
                format!("tags.{k}"),
                "tag values must be at most 256 characters",
            );
        }
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
