//! What the instances run: type, image, key pair, Node.js, the app's port and the boot script.

use super::Errors;
use crate::fleet::args::FleetArgs;
use crate::fleet::naming::MAX_PREFIX;
use crate::resources::compute::user_data;
use crate::resources::observability::log_group;

/// EC2's limit on user data, which the launch template sends base64-encoded: the encoded script must
/// fit (AWS's guide counts the raw bytes, but a launch template's field is the encoded text, so
/// fitting it encoded is what is safe everywhere).
pub const USER_DATA_MAX: usize = 16 * 1024;

pub(super) fn check(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if e.known(&["instanceType"]) && !is_instance_type(&a.instance_type) {
        e.push(
            "instanceType",
            format!(
                "{:?} is not an EC2 instance type; expected a form like t3.micro",
                a.instance_type
            ),
        );
    }
    if let Some(ami) = a.ami.as_ref().filter(|_| e.known(&["ami"])) {
        let hex = ami.strip_prefix("ami-").unwrap_or("");
        if !matches!(hex.len(), 8 | 17) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            e.push("ami", format!("{ami:?} is not an AMI ID; expected ami- and 8 or 17 hex digits, or leave it unset for the latest Amazon Linux 2023"));
        }
    }
    if let Some(k) = a.key_name.as_ref().filter(|_| e.known(&["keyName"])) {
        if k.is_empty()
            || k.len() > 255
            || !k.chars().all(|c| c.is_ascii() && !c.is_ascii_control())
        {
            e.push(
                "keyName",
                format!(
                    "{k:?} is not a key pair name: EC2 names have 1-255 printable ASCII characters"
                ),
            );
        }
    }
    if e.known(&["nodeVersion"]) && !is_node_version(&a.node_version) {
        e.push(
            "nodeVersion",
            format!(
                "{:?} is not a Node.js version; expected a major version like 22 (or 22.11.0)",
                a.node_version
            ),
        );
    }
    if e.known(&["appPort"]) {
        match a.app_port {
            0 => e.push("appPort", "must be a TCP port from 1 to 65535"),
            22 => e.push("appPort", "22 is sshd's port on the instances, so the app could not listen on it; choose another, like 3000"),
            _ => {}
        }
    }
    if e.known(&["userData", "nodeVersion", "healthCheck", "appPort"]) {
        user_data_size(a, region, e);
    }
}

fn is_instance_type(t: &str) -> bool {
    t.len() <= 64
        && t.split_once('.').is_some_and(|(f, s)| {
            !f.is_empty() && !s.is_empty() && f.starts_with(|c: char| c.is_ascii_lowercase())
        })
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

fn is_node_version(v: &str) -> bool {
    let parts: Vec<_> = v.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|p| (1..=6).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
}

/// The whole boot script, the user's commands in it, must fit EC2's limit once encoded.
fn user_data_size(a: &FleetArgs, region: Option<&str>, e: &mut Errors) {
    if let Some(extra) = &a.user_data {
        if extra.contains('\0') {
            e.push(
                "userData",
                "holds a NUL character, which a shell script cannot carry",
            );
            return;
        }
    }
    // The longest names the script may hold: the real region and prefix where known.
    let prefix = a
        .name_prefix
        .clone()
        .unwrap_or_else(|| "p".repeat(MAX_PREFIX));
    let script = user_data::script(&user_data::Inputs {
        region: region.unwrap_or("ap-southeast-5"),
        node_version: &a.node_version,
        log_group: &log_group::group_name(&prefix),
        app_port: a.app_port,
        health_path: &a.health_check.path,
        extra: a.user_data.as_deref(),
    });
    let encoded = script.len().div_ceil(3) * 4;
    if encoded > USER_DATA_MAX {
        let ours = encoded
            - a.user_data
                .as_deref()
                .map_or(0, |u| u.len().div_ceil(3) * 4);
        e.push(
            "userData",
            format!(
                "the boot script would be {encoded} bytes base64-encoded, over EC2's {USER_DATA_MAX}; the fleet's own part takes about {ours}, so keep userData under about {} bytes, or have it download a larger script (e.g. from the asset bucket)",
                (USER_DATA_MAX.saturating_sub(ours)) / 4 * 3
            ),
        );
    }
}
