//! Releases: the deployment configuration, the release archive's key and the release itself.

use super::Errors;
use crate::fleet::args::FleetArgs;
use crate::release::{appspec, archive};

pub(super) fn check(a: &FleetArgs, e: &mut Errors) {
    let d = &a.deployment_config;
    let ok = !d.is_empty()
        && d.len() <= 100
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+=,@-".contains(c));
    if e.known(&["deploymentConfig"]) && !ok {
        e.push("deploymentConfig", format!("{d:?} is not a CodeDeploy deployment configuration name, such as CodeDeployDefault.HalfAtATime"));
    }
    if e.known(&["sourceKey"]) {
        if let Some(p) = source_key_problem(&a.source_key) {
            e.push("sourceKey", p);
        }
    }
    if let (Some(r), true) = (&a.release, e.known(&["release"])) {
        release(r, e);
    }
    if let (Some(assets), true) = (&a.assets, e.known(&["assets"])) {
        let base = std::env::current_dir().unwrap_or_default();
        if let Err(problem) = archive::read(&assets.0, &base) {
            e.push("assets", problem);
        }
    }
}

/// The release is read (relative paths are the program's) and its appspec checked, every problem
/// reported.
fn release(r: &crate::release::ArchiveInput, e: &mut Errors) {
    let base = std::env::current_dir().unwrap_or_default();
    match archive::read(&r.0, &base) {
        Err(problem) => e.push("release", problem),
        Ok(bundle) => {
            for problem in appspec::check(&bundle) {
                e.push("release", problem);
            }
        }
    }
}

/// The key reaches the trail's event selector, the pipeline's source and the roles' policies, where
/// `*` and `?` are wildcards: it is held to S3's safe characters, `*` left out.
fn source_key_problem(k: &str) -> Option<String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "!-_.'()/".contains(c);
    if k.is_empty() || k.starts_with('/') || k.len() > 1024 || !k.ends_with(".zip") {
        Some(format!("{k:?} must be an S3 key of a zip archive (like source.zip or releases/app.zip), without a leading /, at most 1024 bytes"))
    } else if let Some(c) = k.chars().find(|c| !safe(*c)) {
        Some(format!("{k:?} holds {c:?}; use letters, digits and ! - _ . ' ( ) / (S3's safe characters; * and ? would be wildcards in the fleet's policies)"))
    } else if k.contains("//") || k.split('/').any(|s| s == "." || s == "..") {
        Some(format!(
            "{k:?} has an empty, . or .. segment; use a plain path like releases/app.zip"
        ))
    } else {
        None
    }
}
