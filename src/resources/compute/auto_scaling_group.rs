//! The Auto Scaling group: the launch template across every public subnet, registered with the target
//! group, replacing instances the load balancer finds unhealthy.

use std::time::Duration;

use aws_smithy_types::DateTime;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as AwsAutoScalingGroup, LaunchTemplateSpecification, LifecycleState,
    ScalingActivityStatusCode, Tag,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use super::launch_template::LaunchTemplateState;
use crate::aws::error::{done_if_gone, on};
use crate::aws::Error;
use crate::resources::lb::target_group::TargetGroupState;
use crate::resources::network::subnets::SubnetsState;

/// Seconds after launch before the load balancer's health checks count: boot installs Node.js and agents.
pub const HEALTH_CHECK_GRACE: i32 = 300;

/// The fleet's Auto Scaling group (see the module docs).
pub struct AutoScalingGroup;

/// What the group is made of, and its sizes.
pub struct Spec {
    /// The launch template (its recorded version is the one launched).
    pub template: LaunchTemplateState,
    /// The subnets to spread over.
    pub subnets: SubnetsState,
    /// The target group to register instances with.
    pub target_group: TargetGroupState,
    /// The sizes the inputs ask for.
    pub sizes: Capacity,
    /// The sizes the previous inputs asked for, on an update. An existing group gets only the sizes
    /// that changed since: the others may have been moved by the group's own schedule (or its
    /// scaling), which an unrelated update must not undo. `None`: set every size.
    pub previous: Option<Capacity>,
}

/// What the fleet records about its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingGroupState {
    /// The group's name.
    pub name: String,
    /// The group's live sizes, as [`Reconciler::read`] found them; never recorded (apply and
    /// discover leave it `None`).
    #[serde(skip)]
    pub capacity: Option<Capacity>,
}

/// The group's sizes: as the inputs ask, or as they are now (moved by the schedule, or drifted
/// when someone resizes the group by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Minimum size.
    pub min: u32,
    /// Maximum size.
    pub max: u32,
    /// Desired size.
    pub desired: u32,
}

/// The group named `name` as AWS describes it; `None` when there is none.
pub(crate) async fn describe(
    cx: &Ctx<'_>,
    name: &str,
) -> Result<Option<AwsAutoScalingGroup>, Error> {
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

fn ours(cx: &Ctx<'_>, g: &AwsAutoScalingGroup) -> bool {
    g.tags()
        .iter()
        .any(|t| t.key() == Some(TAG_FLEET) && t.value() == Some(cx.prefix))
}

/// The settings create and update share; their request builders are different types.
macro_rules! shape {
    ($req:expr, $sizes:expr, $template:expr, $zones:expr) => {
        $req.launch_template($template)
            .set_min_size($sizes.min)
            .set_max_size($sizes.max)
            .set_desired_capacity($sizes.desired)
            .vpc_zone_identifier($zones)
            .health_check_type("ELB")
            .health_check_grace_period(HEALTH_CHECK_GRACE)
    };
}

/// The sizes a request sets; `None` leaves one as the group has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SetSizes {
    min: Option<i32>,
    max: Option<i32>,
    desired: Option<i32>,
}

impl SetSizes {
    /// Every size of `want` (a new group), or on an update only those that differ from
    /// `previous`. AWS moves the desired capacity into a changed [min, max] by itself.
    fn of(want: Capacity, previous: Option<Capacity>) -> Self {
        let size = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let changed = |get: fn(&Capacity) -> u32| match previous {
            Some(p) if get(&p) == get(&want) => None,
            _ => Some(size(get(&want))),
        };
        SetSizes {
            min: changed(|c| c.min),
            max: changed(|c| c.max),
            desired: changed(|c| c.desired),
        }
    }
}

impl Reconciler for AutoScalingGroup {
    type Spec = Spec;
    type Record = AutoScalingGroupState;
    type Within = ();

    /// Creates the group, or brings the one this fleet made to the wanted sizes and template.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<AutoScalingGroupState, Error> {
        let name = group_name(cx);
        let template = LaunchTemplateSpecification::builder()
            .launch_template_id(&spec.template.launch_template_id)
            .version(spec.template.version.to_string())
            .build();
        let zones = spec.subnets.subnet_ids.join(",");
        match describe(cx, &name).await? {
            Some(g) if ours(cx, &g) => {
                let req = cx
                    .aws
                    .autoscaling
                    .update_auto_scaling_group()
                    .auto_scaling_group_name(&name);
                let sizes = SetSizes::of(spec.sizes, spec.previous);
                shape!(req, sizes, template, zones)
                    .send()
                    .await
                    .map_err(on("autoscaling", "UpdateAutoScalingGroup"))?;
            }
            Some(_) => {
                return Err(cx.name_taken("autoscaling", "an Auto Scaling group", &name));
            }
            None => {
                let tags: Vec<Tag> = cx
                    .tags()
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
                let sizes = SetSizes::of(spec.sizes, None);
                shape!(req, sizes, template, zones)
                    .target_group_arns(&spec.target_group.arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(on("autoscaling", "CreateAutoScalingGroup"))?;
            }
        }
        Ok(AutoScalingGroupState {
            name,
            capacity: None,
        })
    }

    /// The group with its live sizes; `None` when it is gone (or being deleted).
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &AutoScalingGroupState,
    ) -> Result<Option<AutoScalingGroupState>, Error> {
        let size = |n: Option<i32>| n.unwrap_or_default().max(0) as u32;
        Ok(describe(cx, &state.name)
            .await?
            .filter(|g| g.status().is_none())
            .map(|g| AutoScalingGroupState {
                name: state.name.clone(),
                capacity: Some(Capacity {
                    min: size(g.min_size()),
                    max: size(g.max_size()),
                    desired: size(g.desired_capacity()),
                }),
            }))
    }

    /// Deletes the group with its instances and waits until it is gone, so nothing that depends on
    /// its subnets or template is deleted under running instances.
    async fn delete(&self, cx: &Ctx<'_>, state: &AutoScalingGroupState) -> Result<(), Error> {
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
            .until(&what, Duration::from_secs(10), || async {
                Ok(describe(cx, &state.name).await?.is_none().then_some(()))
            })
            .await
    }

    /// The fleet's group, when it exists, carries the fleet's tag and is not being deleted.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<AutoScalingGroupState>, Error> {
        let name = group_name(cx);
        let found = describe(cx, &name).await?;
        Ok(found
            .filter(|g| ours(cx, g) && g.status().is_none())
            .map(|_| AutoScalingGroupState {
                name,
                capacity: None,
            }))
    }

    fn tag_targets(&self, r: &AutoScalingGroupState) -> Vec<Target> {
        vec![Target::AutoScalingGroup(r.name.clone())]
    }
}

/// Waits until at least `want` of the group's instances are InService. While too few are, a
/// group whose latest launch failed (an AMI, key pair or instance type AWS cannot launch) fails
/// the wait at once with Auto Scaling's reason, instead of waiting out the deadline.
pub async fn wait_in_service(
    cx: &Ctx<'_>,
    state: &AutoScalingGroupState,
    want: usize,
) -> Result<(), Error> {
    let what = format!(
        "{want} instance(s) of Auto Scaling group {} to be in service",
        state.name
    );
    cx.waits
        .until(&what, Duration::from_secs(10), || async {
            let in_service = describe(cx, &state.name)
                .await?
                .map(|g| {
                    g.instances()
                        .iter()
                        .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                        .count()
                })
                .unwrap_or_default();
            if in_service >= want {
                return Ok(Some(()));
            }
            match failed_launch(cx, &state.name).await? {
                Some(reason) => Err(Error::Failed {
                    service: "autoscaling",
                    operation: "DescribeScalingActivities",
                    reason: format!("Auto Scaling group {} cannot launch instances ({in_service} of {want} in service): {reason}", state.name),
                }),
                None => Ok(None),
            }
        })
        .await
}

/// AWS's reason when the group's latest scaling activity is a failed (or cancelled) launch. AWS
/// lists activities in progress first, so a launch under way is never mistaken for a failure.
async fn failed_launch(cx: &Ctx<'_>, group: &str) -> Result<Option<String>, Error> {
    let out = cx
        .aws
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(group)
        .max_records(1)
        .send()
        .await
        .map_err(on("autoscaling", "DescribeScalingActivities"))?;
    Ok(out
        .activities()
        .first()
        .filter(|a| {
            matches!(
                a.status_code(),
                Some(ScalingActivityStatusCode::Failed | ScalingActivityStatusCode::Cancelled)
            )
        })
        .map(|a| {
            let message = a.status_message().unwrap_or("no reason given");
            format!("{message} ({})", a.description().unwrap_or("a launch"))
        }))
}

/// The instances Auto Scaling took out of service at or after `since` because the load balancer's
/// health checks failed them once the grace period was over: AWS's own verdict that they do not
/// serve (the activity's cause ends "in response to an ELB system health check failure.").
pub async fn replaced_unhealthy(
    cx: &Ctx<'_>,
    group: &str,
    since: DateTime,
) -> Result<Vec<String>, Error> {
    let out = cx
        .aws
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(group)
        .max_records(20)
        .send()
        .await
        .map_err(on("autoscaling", "DescribeScalingActivities"))?;
    Ok(out
        .activities()
        .iter()
        .take_while(|a| a.start_time().is_some_and(|t| t.secs() >= since.secs()))
        .filter(|a| a.cause().is_some_and(|c| c.contains(ELB_HEALTH_FAILURE)))
        .map(|a| {
            let d = a.description().unwrap_or_default();
            d.strip_prefix("Terminating EC2 instance: ")
                .unwrap_or(d)
                .to_string()
        })
        .collect())
}

/// How Auto Scaling words the cause of replacing an instance the load balancer found unhealthy.
const ELB_HEALTH_FAILURE: &str = "in response to an ELB system health check failure";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_sets_only_the_sizes_the_inputs_changed() {
        let c = |min, max, desired| Capacity { min, max, desired };
        let all = SetSizes {
            min: Some(3),
            max: Some(4),
            desired: Some(3),
        };
        assert_eq!(SetSizes::of(c(3, 4, 3), None), all, "a new group");
        let none = SetSizes {
            min: None,
            max: None,
            desired: None,
        };
        assert_eq!(
            SetSizes::of(c(3, 4, 3), Some(c(3, 4, 3))),
            none,
            "the schedule's sizes stay"
        );
        let max = SetSizes {
            max: Some(6),
            ..none
        };
        assert_eq!(SetSizes::of(c(3, 6, 3), Some(c(3, 4, 3))), max);
    }
}
