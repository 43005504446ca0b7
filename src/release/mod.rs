//! Releases: the app bundle a fleet deploys, from the `release` input (a Pulumi Archive) to the
//! deterministic zip CodeDeploy takes. [`archive`] reads every archive form the engine sends,
//! [`appspec`] checks the bundle as the CodeDeploy agent would before anything is uploaded, and
//! [`bundle_zip`] writes the same bytes for the same content, so an unchanged app is never re-released.

pub mod appspec;
pub mod archive;
pub mod bundle_zip;

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::server::props::{Archive, Value};
use crate::server::typed;

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether it is executable (kept in the zip, so hook scripts run as written).
    pub executable: bool,
}

/// A bundle's files by path (`/`-separated, relative to its root), in a fixed order.
pub type Bundle = BTreeMap<String, File>;

/// The release zip of `input` (relative paths against `base`), after the checks of [`appspec`];
/// every problem found is in the error.
pub fn build(input: &ArchiveInput, base: &Path) -> Result<bundle_zip::Zipped, String> {
    let bundle = archive::read(&input.0, base)?;
    let problems = appspec::check(&bundle);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    bundle_zip::build(&bundle)
}

/// A Pulumi Archive input, kept as the engine sent it (with its hash) and given to the typed
/// structs through its wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub struct ArchiveInput(pub Archive);

impl TryFrom<serde_json::Value> for ArchiveInput {
    type Error = String;

    fn try_from(j: serde_json::Value) -> Result<Self, String> {
        match typed::from_json(&j) {
            Value::Archive(a) => Ok(Self(a)),
            Value::Asset(_) => Err("a single asset (FileAsset, StringAsset) is not an archive; give a FileArchive of the app's folder or of a .zip, .tar or .tgz file, or an AssetArchive".into()),
            other => Err(format!("expected a Pulumi Archive (FileArchive or AssetArchive), got {}", kind(&other))),
        }
    }
}

impl From<ArchiveInput> for serde_json::Value {
    fn from(a: ArchiveInput) -> Self {
        typed::wire_json(&Value::Archive(a.0))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        _ => "an object",
    }
}

impl JsonSchema for ArchiveInput {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Archive".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"$ref": "pulumi.json#/Archive"})
    }
}

#[cfg(test)]
mod tests;
