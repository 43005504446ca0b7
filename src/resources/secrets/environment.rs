//! The app's environment: one SecureString parameter per `environment` entry under the fleet's
//! path `/ec2fleet/<prefix>/env/`, encrypted with the account's `aws/ssm` key. The path is the
//! fleet's own (its prefix is unique to it), so every parameter under it is the fleet's: apply
//! deletes the names the input no longer has, delete removes them all. The record keeps names and
//! versions, never values; apply compares values by reading them decrypted, so an unchanged run
//! writes nothing.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{Parameter, ParameterType, Tag};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use crate::aws::error::on;
use crate::aws::Error;

/// DeleteParameters takes at most this many names per call.
const DELETE_BATCH: usize = 10;
/// GetParametersByPath answers at most this many per page.
const PAGE: i32 = 10;

/// The fleet's parameter path (no trailing slash, as GetParametersByPath and IAM take it).
pub fn path(prefix: &str) -> String {
    format!("/ec2fleet/{prefix}/env")
}

/// The parameters' reconciler.
pub struct Environment;

/// What the parameters are made from.
pub struct Spec {
    /// The fleet's path (see [`path`]).
    pub path: String,
    /// Variable name → value (secret: never logged, never recorded).
    pub values: BTreeMap<String, String>,
}

/// What the fleet records about its parameters: names and versions only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentState {
    /// The fleet's path.
    pub path: String,
    /// Variable name → the parameter's version.
    pub versions: BTreeMap<String, i64>,
}

/// The values under the record's path, decrypted (import makes them the secret input); `None`
/// when there are none.
pub async fn values(
    cx: &Ctx<'_>,
    r: &EnvironmentState,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    let there = listing(cx, &r.path, true).await?;
    Ok((!there.is_empty()).then(|| there.into_iter().map(|(k, f)| (k, f.value)).collect()))
}

/// One parameter as the path's listing gives it.
struct Found {
    value: String,
    secure: bool,
    version: i64,
}

/// Every parameter directly under `path`, by variable name; values decrypted when `decrypt`.
async fn listing(
    cx: &Ctx<'_>,
    path: &str,
    decrypt: bool,
) -> Result<BTreeMap<String, Found>, Error> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = cx
            .aws
            .ssm
            .get_parameters_by_path()
            .path(path)
            .recursive(false)
            .with_decryption(decrypt)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(on("ssm", "GetParametersByPath"))?;
        out.extend(page.parameters().iter().filter_map(|p| found(path, p)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

fn found(path: &str, p: &Parameter) -> Option<(String, Found)> {
    let var = p.name()?.strip_prefix(path)?.strip_prefix('/')?;
    Some((
        var.to_string(),
        Found {
            value: p.value().unwrap_or_default().to_string(),
            secure: p.r#type() == Some(&ParameterType::SecureString),
            version: p.version(),
        },
    ))
}

/// `e` without `value` anywhere in its text: AWS's validation messages quote the rejected value.
fn scrubbed(e: Error, value: &str) -> Error {
    match e {
        Error::Aws(mut c) if !value.is_empty() => {
            c.message = c.message.replace(value, "****").into();
            c.source = c.message.to_string().into();
            Error::Aws(c)
        }
        other => other,
    }
}

impl Environment {
    /// Writes one parameter: a new one with the fleet's tags (PutParameter refuses tags with
    /// Overwrite), an existing one overwritten. Returns its version.
    async fn put(cx: &Ctx<'_>, name: &str, value: &str, exists: bool) -> Result<i64, Error> {
        let req = cx
            .aws
            .ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(ParameterType::SecureString)
            .description(format!("environment of ec2fleet {}", cx.prefix));
        let req = if exists {
            req.overwrite(true)
        } else {
            req.set_tags(Some(ssm_tags(&cx.tags())?))
        };
        match req.send().await {
            Ok(out) => Ok(out.version()),
            // Made by a run whose answer was lost: overwrite it.
            Err(e)
                if !exists
                    && e.as_service_error()
                        .is_some_and(|s| s.is_parameter_already_exists()) =>
            {
                Box::pin(Self::put(cx, name, value, true)).await
            }
            Err(e) => Err(scrubbed(on("ssm", "PutParameter")(e), value)),
        }
    }
}

/// The tags as SSM's tag type.
fn ssm_tags(set: &BTreeMap<String, String>) -> Result<Vec<Tag>, Error> {
    set.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::build("ssm", "PutParameter"))
}

/// Deletes the named parameters, a batch at a time; ones already gone are done.
async fn delete_names(cx: &Ctx<'_>, names: Vec<String>) -> Result<(), Error> {
    for batch in names.chunks(DELETE_BATCH) {
        cx.aws
            .ssm
            .delete_parameters()
            .set_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(on("ssm", "DeleteParameters"))?;
    }
    Ok(())
}

/// The full parameter name of `var` under `path`.
fn name(path: &str, var: &str) -> String {
    format!("{path}/{var}")
}

impl Reconciler for Environment {
    type Spec = Spec;
    type Record = EnvironmentState;
    type Within = ();

    /// Writes the entries whose value (or type) differs from the parameter's, one at a time
    /// (PutParameter's default rate is low), and deletes the names the input no longer has.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<EnvironmentState, Error> {
        let there = listing(cx, &spec.path, true).await?;
        let mut versions = BTreeMap::new();
        for (var, value) in &spec.values {
            let version = match there.get(var) {
                Some(f) if f.secure && &f.value == value => f.version,
                have => Self::put(cx, &name(&spec.path, var), value, have.is_some()).await?,
            };
            versions.insert(var.clone(), version);
        }
        let gone = there
            .keys()
            .filter(|v| !spec.values.contains_key(*v))
            .map(|v| name(&spec.path, v))
            .collect();
        delete_names(cx, gone).await?;
        Ok(EnvironmentState {
            path: spec.path.clone(),
            versions,
        })
    }

    /// The parameters as they are (without decrypting): a changed one shows a new version, a
    /// deleted one is missing, so the next update puts them back.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        r: &EnvironmentState,
    ) -> Result<Option<EnvironmentState>, Error> {
        let there = listing(cx, &r.path, false).await?;
        if there.is_empty() {
            return Ok(None);
        }
        let versions = r
            .versions
            .keys()
            .filter_map(|v| there.get(v).map(|f| (v.clone(), f.version)))
            .collect();
        Ok(Some(EnvironmentState {
            path: r.path.clone(),
            versions,
        }))
    }

    /// Deletes every parameter under the fleet's path.
    async fn delete(&self, cx: &Ctx<'_>, r: &EnvironmentState) -> Result<(), Error> {
        let there = listing(cx, &r.path, false).await?;
        let mut names: Vec<String> = there.keys().map(|v| name(&r.path, v)).collect();
        // Recorded names too: a parameter just made may not be listed yet.
        names.extend(r.versions.keys().map(|v| name(&r.path, v)));
        names.sort();
        names.dedup();
        delete_names(cx, names).await
    }

    /// The parameters under the fleet's path.
    async fn discover(&self, cx: &Ctx<'_>, _: &()) -> Result<Option<EnvironmentState>, Error> {
        let path = path(cx.prefix);
        let there = listing(cx, &path, false).await?;
        Ok((!there.is_empty()).then(|| EnvironmentState {
            versions: there.into_iter().map(|(v, f)| (v, f.version)).collect(),
            path,
        }))
    }

    fn tag_targets(&self, r: &EnvironmentState) -> Vec<Target> {
        r.versions
            .keys()
            .map(|v| Target::Parameter(name(&r.path, v)))
            .collect()
    }
}
