//! A change of the fleet's tags makes a new launch template version (the instance and volume tags are
//! in its tag specifications). Replacing every instance for that would churn the fleet for nothing:
//! when the versions differ only in tags, the running instances and their volumes are re-tagged in
//! place instead.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ec2::types::{ResourceType, ResponseLaunchTemplateData};

use super::launch_template::LaunchTemplateState;
use crate::aws::error::on;
use crate::aws::Error;
use crate::resources::tagging;
use crate::resources::Ctx;

/// An instance launched from another launch template version than the group's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outdated {
    /// The instance.
    pub instance_id: String,
    /// The version it was launched from.
    pub version: String,
}

/// Re-tags `outdated` instances and their volumes in place when their versions differ from
/// `template`'s only in tags. `false` when something else differs: they need replacing.
pub async fn retag_if_only_tags(
    cx: &Ctx<'_>,
    template: &LaunchTemplateState,
    outdated: &[Outdated],
) -> Result<bool, Error> {
    let current = template.version.to_string();
    let data = versions(cx, template, outdated, &current).await?;
    let Some(want) = data.get(&current) else {
        return Ok(false);
    };
    let old: Vec<&ResponseLaunchTemplateData> = outdated
        .iter()
        .filter_map(|o| data.get(&o.version))
        .collect();
    if old.len() < outdated.len() || old.iter().any(|d| untagged(d) != untagged(want)) {
        return Ok(false);
    }
    let instances: Vec<String> = outdated.iter().map(|o| o.instance_id.clone()).collect();
    let volumes = volumes_of(cx, &instances).await?;
    for (kind, ids) in [
        (ResourceType::Instance, instances),
        (ResourceType::Volume, volumes),
    ] {
        let set = tags_for(want, &kind);
        let removed: BTreeSet<String> = old
            .iter()
            .flat_map(|d| tags_for(d, &kind).into_keys())
            .filter(|k| !set.contains_key(k))
            .collect();
        let removed: Vec<String> = removed.into_iter().collect();
        if !ids.is_empty() {
            tagging::ec2(cx, &ids, &set, &removed).await?;
        }
    }
    Ok(true)
}

/// The data of the outdated instances' versions and of `current`, by version number.
async fn versions(
    cx: &Ctx<'_>,
    template: &LaunchTemplateState,
    outdated: &[Outdated],
    current: &str,
) -> Result<HashMap<String, ResponseLaunchTemplateData>, Error> {
    let mut wanted: BTreeSet<String> = outdated.iter().map(|o| o.version.clone()).collect();
    wanted.insert(current.to_string());
    wanted.remove("");
    let out = cx
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&template.launch_template_id)
        .set_versions(Some(wanted.into_iter().collect()))
        .send()
        .await
        .map_err(on("ec2", "DescribeLaunchTemplateVersions"))?;
    Ok(out
        .launch_template_versions()
        .iter()
        .filter_map(|v| {
            let data = v.launch_template_data()?.clone();
            Some((v.version_number()?.to_string(), data))
        })
        .collect())
}

/// The version's settings without its tags.
fn untagged(d: &ResponseLaunchTemplateData) -> ResponseLaunchTemplateData {
    let mut d = d.clone();
    d.tag_specifications = None;
    d
}

/// The tags the version puts on resources of `kind`.
fn tags_for(d: &ResponseLaunchTemplateData, kind: &ResourceType) -> BTreeMap<String, String> {
    d.tag_specifications()
        .iter()
        .filter(|s| s.resource_type() == Some(kind))
        .flat_map(|s| s.tags())
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// The EBS volumes attached to `instances`.
async fn volumes_of(cx: &Ctx<'_>, instances: &[String]) -> Result<Vec<String>, Error> {
    let out = cx
        .aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(instances.to_vec()))
        .send()
        .await
        .map_err(on("ec2", "DescribeInstances"))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .flat_map(|i| i.block_device_mappings())
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
        .collect())
}
