//! The load balancer's listeners, certificate, health check and draining.

use super::{acm_region, Errors};
use crate::fleet::args::{FleetArgs, HealthCheck};

/// The HTTPS listener's port when a certificate is given.
const HTTPS_PORT: u16 = 443;

pub(super) fn check(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if e.known(&["listenerPort", "certificateArn", "cdn"]) {
        listener_port(a, e);
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

fn listener_port(a: &FleetArgs, e: &mut Errors) {
    let port = a.listener_port;
    if port == 0 {
        e.push("listenerPort", "must be a TCP port from 1 to 65535");
    } else if port == HTTPS_PORT && a.certificate_arn.is_some() {
        e.push("listenerPort", "443 is the HTTPS listener's port when certificateArn is set (HTTP on listenerPort redirects to it); use 80 or another port for HTTP");
    } else if a.cdn.enabled && port != 80 && port != HTTPS_PORT && port < 1024 {
        e.push("listenerPort", format!("CloudFront reaches the load balancer on listenerPort, and takes only 80, 443 or 1024-65535 as an origin's HTTP port, not {port}"));
    }
}

/// Whether `c` may appear in a health-check path: the characters of a URL's path and query
/// (RFC 3986: letters, digits, `-._~!$&'()*+,;=:@/?%`).
fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c)
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
    } else if let Some(c) = h.path.chars().find(|c| !path_char(*c)) {
        e.push("healthCheck.path", format!("{:?} holds {c:?}; a path has letters, digits and -._~!$&'()*+,;=:@/?% (percent-encode anything else)", h.path));
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
