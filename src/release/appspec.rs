//! The bundle's `appspec.yml`, checked as the CodeDeploy agent reads it for an EC2 in-place
//! deployment, so a mistake fails `pulumi preview` naming the file instead of a deployment later:
//! the file at the bundle's root, `version: 0.0`, `os: linux`, `files` sources in the bundle and
//! destinations absolute, only the lifecycle events a script may hook, every hook's script in the
//! bundle, timeouts of 1-3600 seconds and `runas` a Linux user name.

use serde_yaml::{Mapping, Value as Yaml};

use super::Bundle;

/// The file CodeDeploy looks for at the bundle's root (for EC2, no other name is read).
pub const APPSPEC: &str = "appspec.yml";

/// The lifecycle events of an in-place deployment behind a load balancer that scripts may hook, in
/// the order they run.
pub const HOOKS: [&str; 9] = [
    "ApplicationStop",
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// Events the agent runs itself; AWS refuses scripts for them.
const RESERVED: [&str; 4] = ["DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"];

/// The longest a hook may run, in seconds.
pub const MAX_TIMEOUT: u64 = 3600;

/// Every problem with the bundle's appspec, each naming the file and the entry.
pub fn check(bundle: &Bundle) -> Vec<String> {
    let Some(file) = bundle.get(APPSPEC) else {
        return vec![missing(bundle)];
    };
    let spec: Yaml = match std::str::from_utf8(&file.bytes)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str(t).map_err(|e| e.to_string()))
    {
        Ok(y) => y,
        Err(e) => return vec![format!("{APPSPEC} is not valid YAML: {e}")],
    };
    let Some(top) = spec.as_mapping() else {
        return vec![format!(
            "{APPSPEC} must be a mapping with version, os, files and hooks"
        )];
    };
    let mut found = Vec::new();
    for key in top.keys() {
        let k = key.as_str().unwrap_or_default();
        if !SECTIONS.contains(&k) {
            found.push(format!("{APPSPEC}: unknown section {key:?}; an EC2 appspec has version, os, files, file_exists_behavior, permissions and hooks", key = text(key)));
        }
    }
    version(top, &mut found);
    file_exists_behavior(top, &mut found);
    os(top, &mut found);
    files(top, bundle, &mut found);
    hooks(top, bundle, &mut found);
    found
}

/// The top-level sections of an EC2/On-Premises appspec.
const SECTIONS: [&str; 6] = [
    "version",
    "os",
    "files",
    "file_exists_behavior",
    "permissions",
    "hooks",
];

/// What the agent does with a file already at a destination (AppSpec "files" section).
fn file_exists_behavior(top: &Mapping, found: &mut Vec<String>) {
    match top.get("file_exists_behavior") {
        None => {}
        Some(Yaml::String(v)) if ["DISALLOW", "OVERWRITE", "RETAIN"].contains(&v.as_str()) => {}
        Some(v) => found.push(format!(
            "{APPSPEC}: file_exists_behavior is {}; it must be DISALLOW, OVERWRITE or RETAIN",
            text(v)
        )),
    }
}

fn missing(bundle: &Bundle) -> String {
    let nested = bundle.keys().find(|p| p.ends_with(&format!("/{APPSPEC}")));
    match nested {
        Some(p) => format!("{APPSPEC} must be at the bundle's root, but it is at {p}; archive the folder that holds it"),
        None => format!("the bundle has no {APPSPEC} at its root; CodeDeploy needs one to know what to install and which scripts to run"),
    }
}

fn version(top: &Mapping, found: &mut Vec<String>) {
    let ok = match top.get("version") {
        Some(Yaml::Number(n)) => n.as_f64() == Some(0.0),
        Some(Yaml::String(s)) => s == "0.0",
        _ => false,
    };
    if !ok {
        let got = top
            .get("version")
            .map(text)
            .unwrap_or_else(|| "nothing".into());
        found.push(format!(
            "{APPSPEC}: version must be 0.0 (the only version CodeDeploy reads), not {got}"
        ));
    }
}

fn os(top: &Mapping, found: &mut Vec<String>) {
    match top.get("os").and_then(Yaml::as_str) {
        Some("linux") => {}
        other => found.push(format!(
            "{APPSPEC}: os must be linux (the fleet runs Amazon Linux), not {}",
            other.unwrap_or("missing")
        )),
    }
}

fn files(top: &Mapping, bundle: &Bundle, found: &mut Vec<String>) {
    let Some(list) = top.get("files") else { return };
    let Some(list) = list.as_sequence() else {
        found.push(format!(
            "{APPSPEC}: files must be a list of source/destination pairs"
        ));
        return;
    };
    for (i, f) in list.iter().enumerate() {
        let at = format!("{APPSPEC}: files[{i}]");
        let source = f.get("source").and_then(Yaml::as_str);
        let destination = f.get("destination").and_then(Yaml::as_str);
        match source {
            None => found.push(format!(
                "{at}: needs a source (a path in the bundle, or / for all of it)"
            )),
            Some(s) if !in_bundle(bundle, s, true) => {
                found.push(format!("{at}: source {s} is not in the bundle"))
            }
            Some(_) => {}
        }
        match destination {
            Some(d) if d.starts_with('/') => {}
            Some(d) => found.push(format!(
                "{at}: destination {d} must be an absolute path (start with /)"
            )),
            None => found.push(format!(
                "{at}: needs a destination (an absolute path on the instance)"
            )),
        }
    }
}

fn hooks(top: &Mapping, bundle: &Bundle, found: &mut Vec<String>) {
    let Some(hooks) = top.get("hooks") else {
        return;
    };
    let Some(hooks) = hooks.as_mapping() else {
        found.push(format!(
            "{APPSPEC}: hooks must map lifecycle event names to lists of scripts"
        ));
        return;
    };
    for (name, scripts) in hooks {
        let name = text(name);
        if RESERVED.contains(&name.as_str()) {
            found.push(format!("{APPSPEC}: hooks.{name} is run by the CodeDeploy agent itself and takes no scripts; hook one of {}", HOOKS.join(", ")));
            continue;
        }
        if !HOOKS.contains(&name.as_str()) {
            found.push(format!(
                "{APPSPEC}: hooks.{name} is not a lifecycle event; use one of {}",
                HOOKS.join(", ")
            ));
            continue;
        }
        let Some(scripts) = scripts.as_sequence() else {
            found.push(format!(
                "{APPSPEC}: hooks.{name} must be a list of scripts (each with a location)"
            ));
            continue;
        };
        for (i, s) in scripts.iter().enumerate() {
            script(&format!("{APPSPEC}: hooks.{name}[{i}]"), s, bundle, found);
        }
    }
}

fn script(at: &str, s: &Yaml, bundle: &Bundle, found: &mut Vec<String>) {
    match s.get("location").and_then(Yaml::as_str) {
        None => found.push(format!(
            "{at}: needs a location (the script's path in the bundle)"
        )),
        Some(l) if !in_bundle(bundle, l, false) => {
            found.push(format!("{at}: location {l} is not in the bundle"))
        }
        Some(_) => {}
    }
    if let Some(t) = s.get("timeout") {
        if !t.as_u64().is_some_and(|t| (1..=MAX_TIMEOUT).contains(&t)) {
            found.push(format!(
                "{at}: timeout must be whole seconds from 1 to {MAX_TIMEOUT}, not {}",
                text(t)
            ));
        }
    }
    if let Some(r) = s.get("runas") {
        if !r.as_str().is_some_and(user_name) {
            found.push(format!("{at}: runas must be a Linux user name (lowercase letters, digits, _ and -, starting with a letter or _, at most 32), not {}", text(r)));
        }
    }
}

/// Whether `path` (as appspec writes it, `/` for the root) is a file of the bundle, or, for a
/// `files` source, a folder of it.
fn in_bundle(bundle: &Bundle, path: &str, folders: bool) -> bool {
    let p = path.trim_start_matches("./").trim_matches('/');
    if p.is_empty() {
        return folders;
    }
    bundle.contains_key(p) || (folders && bundle.keys().any(|k| k.starts_with(&format!("{p}/"))))
}

fn user_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 32
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn text(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}
