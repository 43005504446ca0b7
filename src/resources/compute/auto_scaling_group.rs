//! The Auto Scaling group: the launch template across every public subnet, registered with the target
//! group, replacing instances the load balancer finds unhealthy.

use std::time::Duration;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup, LaunchTemplateSpecification, LifecycleState, Tag,
};
use serde::{Deserialize, Serialize};

use super::super::{name_taken, Ctx, TAG_FLEET};
use super::launch_template::LaunchTemplateState;
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::lb::target_group::TargetGroupState;
use crate::resources::network::subnets::SubnetsState;

/// Seconds after launch before the load balancer's health checks count: boot installs Node.js and agents.
pub const HEALTH_CHECK_GRACE: i32 = 300;

/// What the fleet records about its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingGroupState {
    /// The group's name.
    pub name: String,
}

/// What the group is made of.
pub struct Refs<'a> {
    /// The launch template.
    pub template: &'a LaunchTemplateState,
    /// The subnets to spread over.
    pub subnets: &'a SubnetsState,
    /// The target group to register instances with.
    pub target_group: &'a TargetGroupState,
}

pub(crate) async fn describe(
    cx: &Ctx<'_>,
    name: &str,
) -> Result<Option<AutoScalingGroup>, AwsError> {
    let out = cx
        .aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await;
    Ok(out
        .map_err(on("autoscaling", "DescribeAutoScalingGroups"))?
        .auto_scaling_groups()
        .first()
        .cloned())
}

fn group_name(cx: &Ctx<'_>) -> String {
    format!("{}-asg", cx.prefix)
}

fn ours(cx: &Ctx<'_>, g: &AutoScalingGroup) -> bool {
    g.tags()
        .iter()
        .any(|t| t.key() == Some(TAG_FLEET) && t.value() == Some(cx.prefix))
}

/// The fleet's group, when it exists, carries the fleet's tag and is not being deleted.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<AutoScalingGroupState>, AwsError> {
    let name = group_name(cx);
    let found = describe(cx, &name).await?;
    Ok(found
        .filter(|g| ours(cx, g) && g.status().is_none())
        .map(|_| AutoScalingGroupState { name }))
}

/// The settings create and update share; their request builders are different types.
macro_rules! shape {
    ($req:expr, $args:expr, $template:expr, $desired:expr, $zones:expr) => {
        $req.launch_template($template)
            .min_size($args.min_capacity as i32)
            .max_size($args.max_capacity as i32)
            .desired_capacity($desired)
            .vpc_zone_identifier($zones)
            .health_check_type("ELB")
            .health_check_grace_period(HEALTH_CHECK_GRACE)
    };
}

/// Creates the group, or brings the one this fleet made to the wanted sizes and template.
pub async fn create(cx: &Ctx<'_>, r: &Refs<'_>) -> Result<AutoScalingGroupState, AwsError> {
    let name = group_name(cx);
    let a = cx.args;
    let template = LaunchTemplateSpecification::builder()
        .launch_template_id(&r.template.launch_template_id)
        .version(r.template.version.to_string())
        .build();
    let desired = a.desired_capacity.unwrap_or(a.min_capacity) as i32;
    let zones = r.subnets.subnet_ids.join(",");
    match describe(cx, &name).await? {
        Some(g) if ours(cx, &g) => {
            let req = cx
                .aws
                .autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&name);
            shape!(req, a, template, desired, zones)
                .send()
                .await
                .map_err(on("autoscaling", "UpdateAutoScalingGroup"))?;
        }
        Some(_) => {
            return Err(name_taken(
                "autoscaling",
                "CreateAutoScalingGroup",
                "an Auto Scaling group",
                &name,
                cx.prefix,
            ));
        }
        None => {
            let tags: Vec<Tag> = cx
                .tags(Node::AutoScalingGroup)
                .into_iter()
                .map(|(k, v)| {
                    Tag::builder()
                        .key(k)
                        .value(v)
                        .propagate_at_launch(false)
                        .resource_id(&name)
                        .resource_type("auto-scaling-group")
                        .build()
                })
                .collect();
            let req = cx
                .aws
                .autoscaling
                .create_auto_scaling_group()
                .auto_scaling_group_name(&name);
            shape!(req, a, template, desired, zones)
                .target_group_arns(&r.target_group.arn)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(on("autoscaling", "CreateAutoScalingGroup"))?;
        }
    }
    Ok(AutoScalingGroupState { name })
}

/// Deletes the group with its instances and waits until it is gone, so nothing that depends on its
/// subnets or template is deleted under running instances.
pub async fn delete(cx: &Ctx<'_>, state: &AutoScalingGroupState) -> Result<(), AwsError> {
    let res = cx
        .aws
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&state.name)
        .force_delete(true)
        .send()
        .await;
    done_if_gone(res.map_err(on("autoscaling", "DeleteAutoScalingGroup")))?;
    let what = format!(
        "Auto Scaling group {} to terminate its instances",
        state.name
    );
    // Terminating a group's instances takes one to three minutes.
    cx.waits
        .until(
            ("autoscaling", "DescribeAutoScalingGroups"),
            &what,
            Duration::from_secs(10),
            || async { Ok(describe(cx, &state.name).await?.is_none().then_some(())) },
        )
        .await
}

/// The group's sizes as they are now (they drift when someone resizes it by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Minimum size.
    pub min: u32,
    /// Maximum size.
    pub max: u32,
    /// Desired size.
    pub desired: u32,
}

/// The group's live sizes; `None` when it is gone (or being deleted).
pub async fn read(
    cx: &Ctx<'_>,
    state: &AutoScalingGroupState,
) -> Result<Option<Capacity>, AwsError> {
    let size = |n: Option<i32>| n.unwrap_or_default().max(0) as u32;
    Ok(describe(cx, &state.name)
        .await?
        .filter(|g| g.status().is_none())
        .map(|g| Capacity {
            min: size(g.min_size()),
            max: size(g.max_size()),
            desired: size(g.desired_capacity()),
        }))
}

/// Waits until at least `want` of the group's instances are InService.
pub async fn wait_in_service(
    cx: &Ctx<'_>,
    state: &AutoScalingGroupState,
    want: usize,
) -> Result<(), AwsError> {
    let what = format!(
        "{want} instance(s) of Auto Scaling group {} to be in service",
        state.name
    );
    cx.waits
        .until(
            ("autoscaling", "DescribeAutoScalingGroups"),
            &what,
            Duration::from_secs(10),
            || async {
                let in_service = describe(cx, &state.name)
                    .await?
                    .map(|g| {
                        g.instances()
                            .iter()
                            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                            .count()
                    })
                    .unwrap_or_default();
                Ok((in_service >= want).then_some(()))
            },
        )
        .await
}
