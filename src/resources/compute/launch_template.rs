//! The launch template: IMDSv2 required, encrypted root volume, the instance profile and security group,
//! the boot script, and the fleet's tags on every instance and volume it launches.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    LaunchTemplate as AwsLaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, Tag, VolumeType,
};
use serde::{Deserialize, Serialize};

use super::super::network::tag_spec;
use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use super::user_data;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::iam::instance_profile::InstanceProfileState;
use crate::resources::network::security_group::SecurityGroupState;
use crate::resources::observability::log_group::LogGroupState;

/// Root device of Amazon Linux 2023.
const ROOT_DEVICE: &str = "/dev/xvda";
/// Root volume size in GiB: AL2023's 8 GiB image plus room for the app, packages and logs.
pub const ROOT_GIB: i32 = 16;

/// The fleet's launch template (see the module docs).
pub struct LaunchTemplate;

/// What the template launches.
pub struct Spec {
    /// The AMI ID.
    pub ami: String,
    /// The instances' security group.
    pub security_group: SecurityGroupState,
    /// The instance profile.
    pub profile: InstanceProfileState,
    /// The log group the boot script configures.
    pub log_group: LogGroupState,
    /// The EC2 instance type.
    pub instance_type: String,
    /// The EC2 key pair for SSH, if any.
    pub key_name: Option<String>,
    /// The Node.js major version the boot script installs.
    pub node_version: String,
    /// The port the app (and the placeholder until the first release) listens on.
    pub app_port: u16,
    /// The target group's health-check path, which the placeholder answers.
    pub health_path: String,
    /// The user's extra boot commands.
    pub user_data: Option<String>,
}

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

fn data(cx: &Ctx<'_>, r: &Spec) -> RequestLaunchTemplateData {
    let script = user_data::script(&user_data::Inputs {
        region: &cx.aws.region,
        node_version: &r.node_version,
        log_group: &r.log_group.name,
        app_port: r.app_port,
        health_path: &r.health_path,
        extra: r.user_data.as_deref(),
    });
    let tags: Vec<Tag> = cx
        .tags()
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
        .image_id(&r.ami)
        .instance_type(r.instance_type.as_str().into())
        .set_key_name(r.key_name.clone())
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

async fn named(cx: &Ctx<'_>, name: &str) -> Result<Option<AwsLaunchTemplate>, Error> {
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

fn ours(cx: &Ctx<'_>, t: &AwsLaunchTemplate) -> bool {
    t.tags()
        .iter()
        .any(|tag| tag.key() == Some(TAG_FLEET) && tag.value() == Some(cx.prefix))
}

/// What the recorded version launches; `None` when the template or version is gone.
pub async fn launches(
    cx: &Ctx<'_>,
    state: &LaunchTemplateState,
) -> Result<Option<ResponseLaunchTemplateData>, Error> {
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

/// The template's version with `want`: the latest if it already matches, else a new version made the
/// default (the Auto Scaling group then launches it).
async fn up_to_date(cx: &Ctx<'_>, id: &str, want: RequestLaunchTemplateData) -> Result<i64, Error> {
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

impl Reconciler for LaunchTemplate {
    type Spec = Spec;
    type Record = LaunchTemplateState;
    type Within = ();

    /// Creates (or adopts) the template; an adopted one gets a new default version when what it
    /// launches differs from `spec`.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<LaunchTemplateState, Error> {
        let name = template_name(cx);
        if let Some(t) = named(cx, &name).await? {
            if !ours(cx, &t) {
                return Err(cx.name_taken("ec2", "a launch template", &name));
            }
            let id = t.launch_template_id().unwrap_or_default().to_string();
            let version = up_to_date(cx, &id, data(cx, spec)).await?;
            return Ok(LaunchTemplateState {
                launch_template_id: id,
                name,
                version,
            });
        }
        let tags = tag_spec(cx, ResourceType::LaunchTemplate, &[]);
        let out = cx
            .aws
            .ec2
            .create_launch_template()
            .launch_template_name(&name)
            .launch_template_data(data(cx, spec))
            .tag_specifications(tags)
            .send()
            .await
            .map_err(on("ec2", "CreateLaunchTemplate"))?;
        let t = out.launch_template();
        let id = t.and_then(|t| t.launch_template_id()).ok_or_else(|| {
            Error::missing("ec2", "CreateLaunchTemplate", "the launch template ID")
        })?;
        Ok(LaunchTemplateState {
            launch_template_id: id.into(),
            name,
            version: t.and_then(|t| t.latest_version_number()).unwrap_or(1),
        })
    }

    /// The template as it is now; `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &LaunchTemplateState,
    ) -> Result<Option<LaunchTemplateState>, Error> {
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

    /// Deletes the template (all versions); one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &LaunchTemplateState) -> Result<(), Error> {
        let res = cx
            .aws
            .ec2
            .delete_launch_template()
            .launch_template_id(&state.launch_template_id)
            .send()
            .await;
        done_if_gone(res.map_err(on("ec2", "DeleteLaunchTemplate")))
    }

    /// The fleet's template, when it exists and carries the fleet's tag; its latest version.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<LaunchTemplateState>, Error> {
        let name = template_name(cx);
        let found = named(cx, &name).await?;
        Ok(found.filter(|t| ours(cx, t)).map(|t| LaunchTemplateState {
            launch_template_id: t.launch_template_id().unwrap_or_default().to_string(),
            name,
            version: t.latest_version_number().unwrap_or(1),
        }))
    }

    fn tag_targets(&self, r: &LaunchTemplateState) -> Vec<Target> {
        vec![Target::Ec2(r.launch_template_id.clone())]
    }
}
