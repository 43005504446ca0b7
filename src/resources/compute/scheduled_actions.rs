//! The group's scheduled capacity changes: exactly the ones the fleet declares (others it made before are
//! removed), so a read shows drift when one is deleted out of band.

use aws_sdk_autoscaling::types::ScheduledUpdateGroupAction;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{Ctx, Reconciler};
use super::auto_scaling_group::AutoScalingGroupState;
use crate::aws::error::{done_if_gone, on};
use crate::aws::Error;

/// The fleet's scheduled actions (see the module docs).
pub struct ScheduledActions;

/// What the actions are made from.
pub struct Spec {
    /// The group they change.
    pub group: AutoScalingGroupState,
    /// The declared actions, in input order.
    pub actions: Vec<ScheduledAction>,
}

/// A scheduled change of the Auto Scaling group's capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduledAction {
    /// Name of the action, unique within the fleet.
    pub name: String,
    /// Recurrence in cron format (five fields: minute hour day-of-month month day-of-week).
    pub cron: String,
    /// Smallest group size from this time on.
    pub min_capacity: u32,
    /// Largest group size from this time on.
    pub max_capacity: u32,
    /// Group size to set at this time (between minCapacity and maxCapacity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,
    /// IANA time zone of the cron expression (for example Europe/London). Defaults to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// What the fleet records: the actions' names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledActionsState {
    /// The group they belong to.
    pub group: String,
    /// Their names, in input order.
    pub names: Vec<String>,
}

async fn live(cx: &Ctx<'_>, group: &str) -> Result<Vec<ScheduledUpdateGroupAction>, Error> {
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

/// The recorded actions that still exist, as inputs.
pub async fn inputs(
    cx: &Ctx<'_>,
    state: &ScheduledActionsState,
) -> Result<Vec<ScheduledAction>, Error> {
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

async fn delete_one(cx: &Ctx<'_>, group: &str, name: &str) -> Result<(), Error> {
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

impl Reconciler for ScheduledActions {
    type Spec = Spec;
    type Record = ScheduledActionsState;
    type Within = AutoScalingGroupState;

    /// Puts every declared action (PutScheduledUpdateGroupAction is an upsert) and removes undeclared
    /// ones.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<ScheduledActionsState, Error> {
        let asg = &spec.group;
        let mut names = Vec::new();
        for s in &spec.actions {
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

    /// The declared actions that still exist (a missing one is drift, not a gone record: always
    /// `Some`).
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &ScheduledActionsState,
    ) -> Result<Option<ScheduledActionsState>, Error> {
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
        Ok(Some(ScheduledActionsState {
            group: state.group.clone(),
            names,
        }))
    }

    /// Deletes the actions; ones already gone are done.
    async fn delete(&self, cx: &Ctx<'_>, state: &ScheduledActionsState) -> Result<(), Error> {
        for n in &state.names {
            delete_one(cx, &state.group, n).await?;
        }
        Ok(())
    }

    /// Every action the fleet's group has now, in AWS's order.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        asg: &AutoScalingGroupState,
    ) -> Result<Option<ScheduledActionsState>, Error> {
        let names = live(cx, &asg.name)
            .await?
            .iter()
            .filter_map(|a| a.scheduled_action_name().map(str::to_string))
            .collect();
        Ok(Some(ScheduledActionsState {
            group: asg.name.clone(),
            names,
        }))
    }
}
