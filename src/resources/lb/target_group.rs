//! The target group: HTTP to the app port, the fleet's health check, and a short deregistration delay so
//! deployments do not wait minutes per instance.

use aws_sdk_elasticloadbalancingv2::operation::describe_target_groups::builders::DescribeTargetGroupsFluentBuilder;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as AwsTargetGroup, TargetGroupAttribute,
    TargetHealthDescription, TargetHealthStateEnum, TargetTypeEnum,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::network::vpc::VpcState;

/// The attribute holding the deregistration delay.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// The HTTP codes a health check accepts (any success or redirect).
pub const HEALTHY_CODES: &str = "200-399";

/// The fleet's target group (see the module docs).
pub struct TargetGroup;

/// What the target group is made from.
pub struct Spec {
    /// The VPC its targets live in.
    pub vpc: VpcState,
    /// The app port it forwards to (fixed once the group exists).
    pub port: u16,
    /// Its health check.
    pub health_check: HealthCheck,
    /// Seconds it keeps draining a target before deregistering it.
    pub deregistration_delay_seconds: u32,
}

/// The target group's health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    /// HTTP path probed on each instance.
    #[serde(default = "defaults::health_path")]
    pub path: String,
    /// Seconds between probes (5-300).
    #[serde(default = "defaults::health_interval")]
    pub interval_seconds: u32,
    /// Seconds to wait for a response (2-120, less than intervalSeconds).
    #[serde(default = "defaults::health_timeout")]
    pub timeout_seconds: u32,
    /// Consecutive successes before a target is healthy (2-10).
    #[serde(default = "defaults::healthy_threshold")]
    pub healthy_threshold: u32,
    /// Consecutive failures before a target is unhealthy (2-10).
    #[serde(default = "defaults::unhealthy_threshold")]
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            path: defaults::health_path(),
            interval_seconds: defaults::health_interval(),
            timeout_seconds: defaults::health_timeout(),
            healthy_threshold: defaults::healthy_threshold(),
            unhealthy_threshold: defaults::unhealthy_threshold(),
        }
    }
}

impl HealthCheck {
    /// How long a target that answers takes to count as healthy: `healthyThreshold` checks
    /// `intervalSeconds` apart.
    pub fn time_to_healthy(&self) -> std::time::Duration {
        let checks = u64::from(self.healthy_threshold) * u64::from(self.interval_seconds);
        std::time::Duration::from_secs(checks)
    }
}

/// The health check's defaults, named so serde, the schema and `Default` share them.
mod defaults {
    pub fn health_path() -> String {
        "/".into()
    }
    pub fn health_interval() -> u32 {
        10
    }
    pub fn health_timeout() -> u32 {
        5
    }
    pub fn healthy_threshold() -> u32 {
        2
    }
    pub fn unhealthy_threshold() -> u32 {
        2
    }
}

/// What the fleet records about its target group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupState {
    /// The group's ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
}

/// The group's name: `<prefix>-tg` (at most 32 characters, as ELBv2 requires).
pub fn group_name(prefix: &str) -> String {
    format!("{prefix}-tg")
}

/// The target group named `name`: its ARN and whether it carries the fleet's tag.
async fn named(cx: &Ctx<'_>, name: &str) -> Result<Option<(String, bool)>, Error> {
    let Some(group) = describe(cx, |req| req.names(name)).await? else {
        return Ok(None);
    };
    let arn = group.target_group_arn().unwrap_or_default().to_string();
    let ours = super::owned(cx, &arn).await?;
    Ok(Some((arn, ours)))
}

/// The one target group the request names; `None` when there is none.
async fn describe(
    cx: &Ctx<'_>,
    by: impl FnOnce(DescribeTargetGroupsFluentBuilder) -> DescribeTargetGroupsFluentBuilder,
) -> Result<Option<AwsTargetGroup>, Error> {
    let found = by(cx.aws.elbv2.describe_target_groups()).send().await;
    let found = none_if_gone(found.map_err(on("elbv2", "DescribeTargetGroups")))?;
    Ok(found.and_then(|o| o.target_groups().first().cloned()))
}

async fn find(cx: &Ctx<'_>, name: &str) -> Result<Option<String>, Error> {
    match named(cx, name).await? {
        Some((arn, true)) => Ok(Some(arn)),
        Some(_) => Err(cx.name_taken("elbv2", "a target group", name)),
        None => Ok(None),
    }
}

/// The settings the group was made with, as AWS has them now.
pub struct Settings {
    /// The app port it forwards to.
    pub port: u16,
    /// Its health check.
    pub health_check: HealthCheck,
    /// Its deregistration delay in seconds.
    pub deregistration_delay_seconds: Option<u32>,
}

/// The group's settings; `None` when it is gone.
pub async fn settings(cx: &Ctx<'_>, state: &TargetGroupState) -> Result<Option<Settings>, Error> {
    let Some(g) = describe(cx, |req| req.target_group_arns(&state.arn)).await? else {
        return Ok(None);
    };
    let attrs = cx
        .aws
        .elbv2
        .describe_target_group_attributes()
        .target_group_arn(&state.arn)
        .send()
        .await
        .map_err(on("elbv2", "DescribeTargetGroupAttributes"))?;
    let delay = attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
        .and_then(|a| a.value()?.parse().ok());
    let n = |v: Option<i32>, default: u32| v.map_or(default, |v| v.max(0) as u32);
    let d = HealthCheck::default();
    Ok(Some(Settings {
        port: g
            .port()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_default(),
        health_check: HealthCheck {
            path: g.health_check_path().map_or(d.path, str::to_string),
            interval_seconds: n(g.health_check_interval_seconds(), d.interval_seconds),
            timeout_seconds: n(g.health_check_timeout_seconds(), d.timeout_seconds),
            healthy_threshold: n(g.healthy_threshold_count(), d.healthy_threshold),
            unhealthy_threshold: n(g.unhealthy_threshold_count(), d.unhealthy_threshold),
        },
        deregistration_delay_seconds: delay,
    }))
}

impl Reconciler for TargetGroup {
    type Spec = Spec;
    type Record = TargetGroupState;
    type Within = ();

    /// Creates (or adopts) the group and sets its deregistration delay.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<TargetGroupState, Error> {
        let name = group_name(cx.prefix);
        let hc = &spec.health_check;
        let arn = match find(cx, &name).await? {
            Some(arn) => {
                // Adopted: bring its health check to the inputs (port and protocol cannot change).
                cx.aws
                    .elbv2
                    .modify_target_group()
                    .target_group_arn(&arn)
                    .health_check_path(&hc.path)
                    .health_check_interval_seconds(hc.interval_seconds as i32)
                    .health_check_timeout_seconds(hc.timeout_seconds as i32)
                    .healthy_threshold_count(hc.healthy_threshold as i32)
                    .unhealthy_threshold_count(hc.unhealthy_threshold as i32)
                    .send()
                    .await
                    .map_err(on("elbv2", "ModifyTargetGroup"))?;
                arn
            }
            None => {
                let tags = super::tags(cx);
                let out = cx
                    .aws
                    .elbv2
                    .create_target_group()
                    .name(&name)
                    .protocol(ProtocolEnum::Http)
                    .port(i32::from(spec.port))
                    .vpc_id(&spec.vpc.vpc_id)
                    .target_type(TargetTypeEnum::Instance)
                    .health_check_path(&hc.path)
                    .health_check_interval_seconds(hc.interval_seconds as i32)
                    .health_check_timeout_seconds(hc.timeout_seconds as i32)
                    .healthy_threshold_count(hc.healthy_threshold as i32)
                    .unhealthy_threshold_count(hc.unhealthy_threshold as i32)
                    .matcher(Matcher::builder().http_code(HEALTHY_CODES).build())
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(on("elbv2", "CreateTargetGroup"))?;
                out.target_groups()
                    .first()
                    .and_then(|g| g.target_group_arn())
                    .ok_or_else(|| {
                        Error::missing("elbv2", "CreateTargetGroup", "the target group's ARN")
                    })?
                    .to_string()
            }
        };
        let delay = TargetGroupAttribute::builder()
            .key(DEREGISTRATION_DELAY)
            .value(spec.deregistration_delay_seconds.to_string())
            .build();
        cx.aws
            .elbv2
            .modify_target_group_attributes()
            .target_group_arn(&arn)
            .attributes(delay)
            .send()
            .await
            .map_err(on("elbv2", "ModifyTargetGroupAttributes"))?;
        Ok(TargetGroupState { arn, name })
    }

    /// The group as it is now; `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &TargetGroupState,
    ) -> Result<Option<TargetGroupState>, Error> {
        let found = describe(cx, |req| req.target_group_arns(&state.arn)).await?;
        Ok(found.map(|_| state.clone()))
    }

    /// Deletes the group; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &TargetGroupState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .elbv2
                .delete_target_group()
                .target_group_arn(&state.arn)
                .send()
                .await
                .map_err(on("elbv2", "DeleteTargetGroup")),
        )
    }

    /// The fleet's target group, when it exists and carries the fleet's tag.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<TargetGroupState>, Error> {
        let name = group_name(cx.prefix);
        let found = named(cx, &name).await?;
        Ok(found.and_then(|(arn, ours)| ours.then_some(TargetGroupState { arn, name })))
    }

    fn tag_targets(&self, r: &TargetGroupState) -> Vec<Target> {
        vec![Target::Elb(r.arn.clone())]
    }
}

/// What the target group says of its targets: how many are healthy, and AWS's reasons for the
/// unhealthy ones, each reason once with how many targets give it.
#[derive(Debug, Default, PartialEq)]
pub struct Health {
    /// Targets in the healthy state.
    pub healthy: usize,
    /// "2 target(s): Health checks failed with these codes: [404] (Target.ResponseCodeMismatch)".
    pub unhealthy: Vec<String>,
}

/// Reads the targets' health (one DescribeTargetHealth call).
pub async fn health(cx: &Ctx<'_>, state: &TargetGroupState) -> Result<Health, Error> {
    let out = cx
        .aws
        .elbv2
        .describe_target_health()
        .target_group_arn(&state.arn)
        .send()
        .await
        .map_err(on("elbv2", "DescribeTargetHealth"))?;
    Ok(Health::of(out.target_health_descriptions()))
}

impl Health {
    fn of(targets: &[TargetHealthDescription]) -> Self {
        let mut health = Health::default();
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for h in targets.iter().filter_map(|d| d.target_health()) {
            match h.state() {
                Some(TargetHealthStateEnum::Healthy) => health.healthy += 1,
                Some(TargetHealthStateEnum::Unhealthy) => {
                    let reason = format!(
                        "{} ({})",
                        h.description().unwrap_or("no description"),
                        h.reason().map(|r| r.as_str()).unwrap_or("no reason code")
                    );
                    match reasons.iter_mut().find(|(r, _)| *r == reason) {
                        Some((_, n)) => *n += 1,
                        None => reasons.push((reason, 1)),
                    }
                }
                _ => {}
            }
        }
        health.unhealthy = reasons
            .into_iter()
            .map(|(reason, n)| format!("{n} target(s): {reason}"))
            .collect();
        health
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{TargetHealth, TargetHealthReasonEnum};

    fn target(
        state: TargetHealthStateEnum,
        reason: Option<&str>,
        text: &str,
    ) -> TargetHealthDescription {
        let health = TargetHealth::builder()
            .state(state)
            .set_reason(reason.map(TargetHealthReasonEnum::from))
            .description(text)
            .build();
        TargetHealthDescription::builder()
            .target_health(health)
            .build()
    }

    #[test]
    fn unhealthy_targets_are_told_by_reason_once_each_with_their_count() {
        let codes = "Health checks failed with these codes: [404]";
        let targets = [
            target(TargetHealthStateEnum::Healthy, None, ""),
            target(
                TargetHealthStateEnum::Unhealthy,
                Some("Target.ResponseCodeMismatch"),
                codes,
            ),
            target(
                TargetHealthStateEnum::Initial,
                Some("Elb.RegistrationInProgress"),
                "Target registration is in progress",
            ),
            target(
                TargetHealthStateEnum::Unhealthy,
                Some("Target.ResponseCodeMismatch"),
                codes,
            ),
            target(
                TargetHealthStateEnum::Unhealthy,
                Some("Target.Timeout"),
                "Request timed out",
            ),
        ];
        assert_eq!(
            Health::of(&targets),
            Health {
                healthy: 1,
                unhealthy: vec![
                    format!("2 target(s): {codes} (Target.ResponseCodeMismatch)"),
                    "1 target(s): Request timed out (Target.Timeout)".into(),
                ],
            }
        );
    }
}
