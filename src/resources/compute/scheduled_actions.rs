//! The group's scheduled capacity changes: exactly the ones the fleet declares (others it made before are
//! removed), so a read shows drift when one is deleted out of band.

use aws_sdk_autoscaling::types::ScheduledUpdateGroupAction;
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::auto_scaling_group::AutoScalingGroupState;
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::args::ScheduledAction;

/// What the fleet records: the actions' names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledActionsState {
    /// The group they belong to.
    pub group: String,
    /// Their names, in input order.
    pub names: Vec<String>,
}

async fn live(cx: &Ctx<'_>, group: &str) -> Result<Vec<ScheduledUpdateGroupAction>, AwsError> {
    let out = cx
        .aws
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(group)
        .send()
        .await;
    Ok(out
        .map_err(on("autoscaling", "DescribeScheduledActions"))?
        .scheduled_update_group_actions()
        .to_vec())
}

/// Puts every declared action (PutScheduledUpdateGroupAction is an upsert) and removes undeclared ones.
pub async fn create(
    cx: &Ctx<'_>,
    asg: &AutoScalingGroupState,
) -> Result<ScheduledActionsState, AwsError> {
    let mut names = Vec::new();
    for s in &cx.args.scheduled_actions {
        cx.aws
            .autoscaling
            .put_scheduled_update_group_action()
            .auto_scaling_group_name(&asg.name)
            .scheduled_action_name(&s.name)
            .recurrence(&s.cron)
            .min_size(s.min_capacity as i32)
            .max_size(s.max_capacity as i32)
            .set_desired_capacity(s.desired_capacity.map(|d| d as i32))
            .set_time_zone(s.time_zone.clone())
            .send()
            .await
            .map_err(on("autoscaling", "PutScheduledUpdateGroupAction"))?;
        names.push(s.name.clone());
    }
    let state = ScheduledActionsState {
        group: asg.name.clone(),
        names,
    };
    for stale in live(cx, &asg.name)
        .await?
        .iter()
        .filter_map(|a| a.scheduled_action_name())
        .filter(|n| !state.names.iter().any(|m| m == n))
    {
        delete_one(cx, &asg.name, stale).await?;
    }
    Ok(state)
}

/// Every action the fleet's group has now, in AWS's order.
pub(crate) async fn discover(
    cx: &Ctx<'_>,
    asg: &AutoScalingGroupState,
) -> Result<ScheduledActionsState, AwsError> {
    let names = live(cx, &asg.name)
        .await?
        .iter()
        .filter_map(|a| a.scheduled_action_name().map(str::to_string))
        .collect();
    Ok(ScheduledActionsState {
        group: asg.name.clone(),
        names,
    })
}

/// The recorded actions that still exist, as inputs.
pub(crate) async fn inputs(
    cx: &Ctx<'_>,
    state: &ScheduledActionsState,
) -> Result<Vec<ScheduledAction>, AwsError> {
    let size = |n: Option<i32>| n.unwrap_or_default().max(0) as u32;
    Ok(live(cx, &state.group)
        .await?
        .iter()
        .filter_map(|a| {
            let name = a.scheduled_action_name()?;
            state
                .names
                .iter()
                .any(|n| n == name)
                .then(|| ScheduledAction {
                    name: name.to_string(),
                    cron: a.recurrence().unwrap_or_default().to_string(),
                    min_capacity: size(a.min_size()),
                    max_capacity: size(a.max_size()),
                    desired_capacity: a.desired_capacity().map(|d| size(Some(d))),
                    time_zone: a.time_zone().map(str::to_string),
                })
        })
        .collect())
}

/// The declared actions that still exist (a missing one is drift).
pub async fn read(
    cx: &Ctx<'_>,
    state: &ScheduledActionsState,
) -> Result<ScheduledActionsState, AwsError> {
    let live = live(cx, &state.group).await?;
    let names = state
        .names
        .iter()
        .filter(|n| {
            live.iter()
                .any(|a| a.scheduled_action_name() == Some(n.as_str()))
        })
        .cloned()
        .collect();
    Ok(ScheduledActionsState {
        group: state.group.clone(),
        names,
    })
}

async fn delete_one(cx: &Ctx<'_>, group: &str, name: &str) -> Result<(), AwsError> {
    let res = cx
        .aws
        .autoscaling
        .delete_scheduled_action()
        .auto_scaling_group_name(group)
        .scheduled_action_name(name)
        .send()
        .await;
    done_if_gone(res.map_err(on("autoscaling", "DeleteScheduledAction")))
}

/// Deletes the actions; ones already gone are done.
pub async fn delete(cx: &Ctx<'_>, state: &ScheduledActionsState) -> Result<(), AwsError> {
    for n in &state.names {
        delete_one(cx, &state.group, n).await?;
    }
    Ok(())
}
