//! The deployment group: in-place deployments to the Auto Scaling group with traffic control through the
//! target group (instances leave the load balancer while they update), rolled back on failure.

use aws_sdk_codedeploy::types::{
    AutoRollbackConfiguration, AutoRollbackEvent, DeploymentGroupInfo, DeploymentOption,
    DeploymentStyle, DeploymentType, LoadBalancerInfo, Tag, TargetGroupInfo,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::codedeploy_application::ApplicationState;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::compute::auto_scaling_group::AutoScalingGroupState;
use crate::resources::iam::role::RoleState;
use crate::resources::lb::target_group::TargetGroupState;

/// The deployment group's reconciler.
pub struct DeploymentGroup;

/// What the group deploys to, and how.
pub struct Spec {
    /// The application.
    pub application: ApplicationState,
    /// CodeDeploy's service role.
    pub role: RoleState,
    /// The Auto Scaling group.
    pub group: AutoScalingGroupState,
    /// The target group instances leave while they update.
    pub target_group: TargetGroupState,
    /// The CodeDeploy deployment configuration releases use.
    pub config: String,
}

/// What the fleet records about its deployment group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentGroupState {
    /// The application it belongs to.
    pub application: String,
    /// The group's name.
    pub name: String,
}

fn style() -> DeploymentStyle {
    DeploymentStyle::builder()
        .deployment_type(DeploymentType::InPlace)
        .deployment_option(DeploymentOption::WithTrafficControl)
        .build()
}

fn lb_info(spec: &Spec) -> LoadBalancerInfo {
    LoadBalancerInfo::builder()
        .target_group_info_list(
            TargetGroupInfo::builder()
                .name(&spec.target_group.name)
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
    ($req:expr, $spec:expr) => {
        $req.service_role_arn(&$spec.role.role_arn)
            .auto_scaling_groups(&$spec.group.name)
            .deployment_config_name(&$spec.config)
            .deployment_style(style())
            .load_balancer_info(lb_info($spec))
            .auto_rollback_configuration(rollback())
    };
}

/// The fleet's deployment group: `<prefix>-dg` (the CodeDeploy role's trust names it too).
pub fn group_name(prefix: &str) -> String {
    format!("{prefix}-dg")
}

async fn get(
    cx: &Ctx<'_>,
    state: &DeploymentGroupState,
) -> Result<Option<DeploymentGroupInfo>, Error> {
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

/// The group's deployment configuration; `None` when the group is gone.
pub async fn deployment_config(
    cx: &Ctx<'_>,
    state: &DeploymentGroupState,
) -> Result<Option<String>, Error> {
    Ok(get(cx, state).await?.and_then(|g| g.deployment_config_name))
}

impl Reconciler for DeploymentGroup {
    type Spec = Spec;
    type Record = DeploymentGroupState;
    /// The group lives inside its application and is found through it.
    type Within = ApplicationState;

    /// Creates the group, or updates the one this fleet made to the wanted settings.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<DeploymentGroupState, Error> {
        let name = group_name(cx.prefix);
        let cd = &cx.aws.codedeploy;
        let tags: Vec<Tag> = cx
            .tags()
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let req = cd
            .create_deployment_group()
            .application_name(&spec.application.name)
            .deployment_group_name(&name);
        let made = shape!(req, spec).set_tags(Some(tags)).send().await;
        match made.map_err(on("codedeploy", "CreateDeploymentGroup")) {
            Ok(_) => {}
            Err(e) if e.code() == Some("DeploymentGroupAlreadyExistsException") => {
                let req = cd
                    .update_deployment_group()
                    .application_name(&spec.application.name)
                    .current_deployment_group_name(&name);
                shape!(req, spec)
                    .send()
                    .await
                    .map_err(on("codedeploy", "UpdateDeploymentGroup"))?;
            }
            Err(e) => return Err(e),
        }
        Ok(DeploymentGroupState {
            application: spec.application.name.clone(),
            name,
        })
    }

    /// The group as it is now, or `None` when it (or its application) is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &DeploymentGroupState,
    ) -> Result<Option<DeploymentGroupState>, Error> {
        Ok(get(cx, state).await?.map(|_| state.clone()))
    }

    /// Deletes the group; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &DeploymentGroupState) -> Result<(), Error> {
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

    /// The fleet's deployment group in its application (the application's tag is the proof of
    /// ownership: the group lives inside it).
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        application: &ApplicationState,
    ) -> Result<Option<DeploymentGroupState>, Error> {
        let state = DeploymentGroupState {
            application: application.name.clone(),
            name: group_name(cx.prefix),
        };
        self.read(cx, &state).await
    }

    fn tag_targets(&self, r: &DeploymentGroupState) -> Vec<Target> {
        vec![Target::CodeDeploy(format!(
            "deploymentgroup:{}/{}",
            r.application, r.name
        ))]
    }
}
