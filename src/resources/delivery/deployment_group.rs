//! The deployment group: in-place deployments to the Auto Scaling group with traffic control through the
//! target group (instances leave the load balancer while they update), rolled back on failure.

use aws_sdk_codedeploy::types::{
    AutoRollbackConfiguration, AutoRollbackEvent, DeploymentGroupInfo, DeploymentOption,
    DeploymentStyle, DeploymentType, LoadBalancerInfo, Tag, TargetGroupInfo,
};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::codedeploy_application::ApplicationState;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::compute::auto_scaling_group::AutoScalingGroupState;
use crate::resources::iam::role::RoleState;
use crate::resources::lb::target_group::TargetGroupState;

/// What the fleet records about its deployment group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentGroupState {
    /// The application it belongs to.
    pub application: String,
    /// The group's name.
    pub name: String,
}

/// What the group deploys to.
pub struct Refs<'a> {
    /// The application.
    pub application: &'a ApplicationState,
    /// CodeDeploy's service role.
    pub role: &'a RoleState,
    /// The Auto Scaling group.
    pub group: &'a AutoScalingGroupState,
    /// The target group instances leave while they update.
    pub target_group: &'a TargetGroupState,
}

fn style() -> DeploymentStyle {
    DeploymentStyle::builder()
        .deployment_type(DeploymentType::InPlace)
        .deployment_option(DeploymentOption::WithTrafficControl)
        .build()
}

fn lb_info(r: &Refs<'_>) -> LoadBalancerInfo {
    LoadBalancerInfo::builder()
        .target_group_info_list(
            TargetGroupInfo::builder()
                .name(&r.target_group.name)
                .build(),
        )
        .build()
}

fn rollback() -> AutoRollbackConfiguration {
    AutoRollbackConfiguration::builder()
        .enabled(true)
        .events(AutoRollbackEvent::DeploymentFailure)
        .build()
}

/// The settings create and update share; their request builders are different types.
macro_rules! shape {
    ($req:expr, $cx:expr, $r:expr) => {
        $req.service_role_arn(&$r.role.role_arn)
            .auto_scaling_groups(&$r.group.name)
            .deployment_config_name(&$cx.args.deployment_config)
            .deployment_style(style())
            .load_balancer_info(lb_info($r))
            .auto_rollback_configuration(rollback())
    };
}

/// Creates the group, or updates the one this fleet made to the wanted settings.
pub async fn create(cx: &Ctx<'_>, r: &Refs<'_>) -> Result<DeploymentGroupState, AwsError> {
    let name = group_name(cx);
    let cd = &cx.aws.codedeploy;
    let tags: Vec<Tag> = cx
        .tags(Node::DeploymentGroup)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let req = cd
        .create_deployment_group()
        .application_name(&r.application.name)
        .deployment_group_name(&name);
    let made = shape!(req, cx, r).set_tags(Some(tags)).send().await;
    match made.map_err(on("codedeploy", "CreateDeploymentGroup")) {
        Ok(_) => {}
        Err(e) if e.code.as_deref() == Some("DeploymentGroupAlreadyExistsException") => {
            let req = cd
                .update_deployment_group()
                .application_name(&r.application.name)
                .current_deployment_group_name(&name);
            shape!(req, cx, r)
                .send()
                .await
                .map_err(on("codedeploy", "UpdateDeploymentGroup"))?;
        }
        Err(e) => return Err(e),
    }
    Ok(DeploymentGroupState {
        application: r.application.name.clone(),
        name,
    })
}

fn group_name(cx: &Ctx<'_>) -> String {
    format!("{}-dg", cx.prefix)
}

async fn get(
    cx: &Ctx<'_>,
    state: &DeploymentGroupState,
) -> Result<Option<DeploymentGroupInfo>, AwsError> {
    let got = cx
        .aws
        .codedeploy
        .get_deployment_group()
        .application_name(&state.application)
        .deployment_group_name(&state.name)
        .send()
        .await;
    let found = none_if_gone(got.map_err(on("codedeploy", "GetDeploymentGroup")))?;
    Ok(found.and_then(|out| out.deployment_group_info))
}

/// The fleet's deployment group in its application (the application's tag is the proof of
/// ownership: the group lives inside it).
pub(crate) async fn discover(
    cx: &Ctx<'_>,
    application: &ApplicationState,
) -> Result<Option<DeploymentGroupState>, AwsError> {
    let state = DeploymentGroupState {
        application: application.name.clone(),
        name: group_name(cx),
    };
    read(cx, &state).await
}

/// The group's deployment configuration; `None` when the group is gone.
pub(crate) async fn deployment_config(
    cx: &Ctx<'_>,
    state: &DeploymentGroupState,
) -> Result<Option<String>, AwsError> {
    Ok(get(cx, state).await?.and_then(|g| g.deployment_config_name))
}

/// The group as it is now, or `None` when it (or its application) is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &DeploymentGroupState,
) -> Result<Option<DeploymentGroupState>, AwsError> {
    Ok(get(cx, state).await?.map(|_| state.clone()))
}

/// Deletes the group; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &DeploymentGroupState) -> Result<(), AwsError> {
    let res = cx
        .aws
        .codedeploy
        .delete_deployment_group()
        .application_name(&state.application)
        .deployment_group_name(&state.name)
        .send()
        .await;
    done_if_gone(res.map_err(on("codedeploy", "DeleteDeploymentGroup")))
}
