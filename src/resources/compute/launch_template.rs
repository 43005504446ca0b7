//! The launch template: IMDSv2 required, encrypted root volume, the instance profile and security group,
//! the boot script, and the fleet's tags on every instance and volume it launches.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, Tag, VolumeType,
};
use serde::{Deserialize, Serialize};

use super::super::network::tag_spec;
use super::super::{name_taken, Ctx, TAG_FLEET};
use super::user_data;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::iam::instance_profile::InstanceProfileState;
use crate::resources::network::security_group::SecurityGroupState;
use crate::resources::observability::log_group::LogGroupState;

/// Root device of Amazon Linux 2023.
const ROOT_DEVICE: &str = "/dev/xvda";
/// Root volume size in GiB: AL2023's 8 GiB image plus room for the app, packages and logs.
pub const ROOT_GIB: i32 = 16;

/// What the fleet records about its launch template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateState {
    /// The template's ID.
    pub launch_template_id: String,
    /// Its name.
    pub name: String,
    /// The version the Auto Scaling group launches.
    pub version: i64,
}

/// What the template refers to.
pub struct Refs<'a> {
    /// The AMI ID.
    pub ami: &'a str,
    /// The instances' security group.
    pub security_group: &'a SecurityGroupState,
    /// The instance profile.
    pub profile: &'a InstanceProfileState,
    /// The log group the boot script configures.
    pub log_group: &'a LogGroupState,
}

fn data(cx: &Ctx<'_>, r: &Refs<'_>) -> RequestLaunchTemplateData {
    let script = user_data::script(&user_data::Inputs {
        region: &cx.aws.region,
        node_version: &cx.args.node_version,
        log_group: &r.log_group.name,
        app_port: cx.args.app_port,
        health_path: &cx.args.health_check.path,
        extra: cx.args.user_data.as_deref(),
    });
    let tags: Vec<Tag> = cx
        .tags(Node::LaunchTemplate)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let tag = |kind| {
        LaunchTemplateTagSpecificationRequest::builder()
            .resource_type(kind)
            .set_tags(Some(tags.clone()))
            .build()
    };
    let root = LaunchTemplateEbsBlockDeviceRequest::builder()
        .encrypted(true)
        .volume_size(ROOT_GIB)
        .volume_type(VolumeType::Gp3)
        .delete_on_termination(true)
        .build();
    RequestLaunchTemplateData::builder()
        .image_id(r.ami)
        .instance_type(cx.args.instance_type.as_str().into())
        .set_key_name(cx.args.key_name.clone())
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .arn(&r.profile.arn)
                .build(),
        )
        .security_group_ids(&r.security_group.group_id)
        .user_data(aws_smithy_types::base64::encode(script))
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_put_response_hop_limit(1)
                .build(),
        )
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(ROOT_DEVICE)
                .ebs(root)
                .build(),
        )
        .tag_specifications(tag(ResourceType::Instance))
        .tag_specifications(tag(ResourceType::Volume))
        .build()
}

fn template_name(cx: &Ctx<'_>) -> String {
    format!("{}-instances", cx.prefix)
}

async fn named(cx: &Ctx<'_>, name: &str) -> Result<Option<LaunchTemplate>, AwsError> {
    let found = cx
        .aws
        .ec2
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await;
    let found = none_if_gone(found.map_err(on("ec2", "DescribeLaunchTemplates")))?;
    Ok(found.and_then(|out| out.launch_templates().first().cloned()))
}

fn ours(cx: &Ctx<'_>, t: &LaunchTemplate) -> bool {
    t.tags()
        .iter()
        .any(|tag| tag.key() == Some(TAG_FLEET) && tag.value() == Some(cx.prefix))
}

/// The fleet's template, when it exists and carries the fleet's tag; its latest version.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<LaunchTemplateState>, AwsError> {
    let name = template_name(cx);
    let found = named(cx, &name).await?;
    Ok(found.filter(|t| ours(cx, t)).map(|t| LaunchTemplateState {
        launch_template_id: t.launch_template_id().unwrap_or_default().to_string(),
        name,
        version: t.latest_version_number().unwrap_or(1),
    }))
}

/// What the recorded version launches; `None` when the template or version is gone.
pub(crate) async fn launches(
    cx: &Ctx<'_>,
    state: &LaunchTemplateState,
) -> Result<Option<ResponseLaunchTemplateData>, AwsError> {
    let got = cx
        .aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&state.launch_template_id)
        .versions(state.version.to_string())
        .send()
        .await;
    let got = none_if_gone(got.map_err(on("ec2", "DescribeLaunchTemplateVersions")))?;
    Ok(got.and_then(|out| {
        out.launch_template_versions()
            .first()
            .and_then(|v| v.launch_template_data().cloned())
    }))
}

/// Creates (or adopts) the template.
pub async fn create(cx: &Ctx<'_>, r: &Refs<'_>) -> Result<LaunchTemplateState, AwsError> {
    let name = template_name(cx);
    if let Some(t) = named(cx, &name).await? {
        if !ours(cx, &t) {
            return Err(name_taken(
                "ec2",
                "CreateLaunchTemplate",
                "a launch template",
                &name,
                cx.prefix,
            ));
        }
        let id = t.launch_template_id().unwrap_or_default().to_string();
        let version = up_to_date(cx, &id, data(cx, r)).await?;
        return Ok(LaunchTemplateState {
            launch_template_id: id,
            name,
            version,
        });
    }
    let spec = tag_spec(cx, Node::LaunchTemplate, ResourceType::LaunchTemplate, &[]);
    let out = cx
        .aws
        .ec2
        .create_launch_template()
        .launch_template_name(&name)
        .launch_template_data(data(cx, r))
        .tag_specifications(spec)
        .send()
        .await
        .map_err(on("ec2", "CreateLaunchTemplate"))?;
    let t = out.launch_template();
    Ok(LaunchTemplateState {
        launch_template_id: t
            .and_then(|t| t.launch_template_id())
            .unwrap_or_default()
            .into(),
        name,
        version: t.and_then(|t| t.latest_version_number()).unwrap_or(1),
    })
}

/// The template's version with `want`: the latest if it already matches, else a new version made the
/// default (the Auto Scaling group then launches it).
async fn up_to_date(
    cx: &Ctx<'_>,
    id: &str,
    want: RequestLaunchTemplateData,
) -> Result<i64, AwsError> {
    let ec2 = &cx.aws.ec2;
    let latest = ec2
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions("$Latest")
        .send()
        .await
        .map_err(on("ec2", "DescribeLaunchTemplateVersions"))?;
    let latest = latest.launch_template_versions().first();
    if let Some(v) = latest.filter(|v| v.launch_template_data().is_some_and(|d| same(d, &want))) {
        return Ok(v.version_number().unwrap_or(1));
    }
    let made = ec2
        .create_launch_template_version()
        .launch_template_id(id)
        .launch_template_data(want)
        .send()
        .await
        .map_err(on("ec2", "CreateLaunchTemplateVersion"))?;
    let version = made
        .launch_template_version()
        .and_then(|v| v.version_number())
        .unwrap_or(1);
    ec2.modify_launch_template()
        .launch_template_id(id)
        .default_version(version.to_string())
        .send()
        .await
        .map_err(on("ec2", "ModifyLaunchTemplate"))?;
    Ok(version)
}

/// Whether a template version launches what `want` describes (the settings inputs can change).
fn same(have: &ResponseLaunchTemplateData, want: &RequestLaunchTemplateData) -> bool {
    have.image_id() == want.image_id()
        && have.instance_type() == want.instance_type()
        && have.key_name() == want.key_name()
        && have.user_data() == want.user_data()
        && have.security_group_ids() == want.security_group_ids()
        && have.iam_instance_profile().and_then(|p| p.arn())
            == want.iam_instance_profile().and_then(|p| p.arn())
        && launch_tags(
            have.tag_specifications()
                .iter()
                .map(|s| (s.resource_type(), s.tags())),
        ) == launch_tags(
            want.tag_specifications()
                .iter()
                .map(|s| (s.resource_type(), s.tags())),
        )
}

/// The tags a version puts on instances and volumes, as (type, key, value). Other types are left
/// out: AWS may list the template's own tags among them.
fn launch_tags<'a>(
    specs: impl Iterator<Item = (Option<&'a ResourceType>, &'a [Tag])>,
) -> BTreeSet<(String, String, String)> {
    specs
        .filter_map(|(kind, tags)| {
            let kind =
                kind.filter(|k| matches!(k, ResourceType::Instance | ResourceType::Volume))?;
            Some(tags.iter().map(move |t| {
                let (k, v) = (t.key().unwrap_or_default(), t.value().unwrap_or_default());
                (kind.as_str().to_string(), k.to_string(), v.to_string())
            }))
        })
        .flatten()
        .collect()
}

/// Deletes the template (all versions); one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &LaunchTemplateState) -> Result<(), AwsError> {
    let res = cx
        .aws
        .ec2
        .delete_launch_template()
        .launch_template_id(&state.launch_template_id)
        .send()
        .await;
    done_if_gone(res.map_err(on("ec2", "DeleteLaunchTemplate")))
}

/// The template as it is now; `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &LaunchTemplateState,
) -> Result<Option<LaunchTemplateState>, AwsError> {
    let found = cx
        .aws
        .ec2
        .describe_launch_templates()
        .launch_template_ids(&state.launch_template_id)
        .send()
        .await;
    let found = none_if_gone(found.map_err(on("ec2", "DescribeLaunchTemplates")))?;
    Ok(found
        .as_ref()
        .and_then(|out| out.launch_templates().first())
        .map(|t| LaunchTemplateState {
            version: t.latest_version_number().unwrap_or(state.version),
            ..state.clone()
        }))
}
