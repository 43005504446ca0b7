//! Rolling the group's instances onto a new launch template version (a new instance type, AMI, key
//! or user data). Updating the group alone only changes the instances it launches next; the running
//! ones would keep the old settings until something replaced them. An instance refresh replaces them,
//! launching every replacement before terminating (the whole fleet stays in service, and all
//! instances roll in one batch instead of one by one), and skips instances already up to date.

use std::time::Duration;

use aws_sdk_autoscaling::types::{RefreshPreferences, RefreshStrategy};

use super::auto_scaling_group::{self, AutoScalingGroupState};
use super::instance_tags::{self, Outdated};
use super::launch_template::LaunchTemplateState;
use crate::aws::error::on;
use crate::aws::Error;
use crate::resources::Ctx;

/// Share of the group that stays in service while instances are replaced: all of it.
const MIN_HEALTHY_PERCENT: i32 = 100;
/// How large the group may grow meanwhile: twice its size, so every replacement launches at once.
const MAX_HEALTHY_PERCENT: i32 = 200;

/// The refresh's preferences. A new instance only counts once it passes the load balancer's health
/// check (the group's health check type is ELB), so the warm-up after that is just the time the
/// target group takes to count it healthy: `healthy_threshold` checks `interval` seconds apart.
fn preferences(warmup: Duration) -> RefreshPreferences {
    RefreshPreferences::builder()
        .min_healthy_percentage(MIN_HEALTHY_PERCENT)
        .max_healthy_percentage(MAX_HEALTHY_PERCENT)
        .instance_warmup(i32::try_from(warmup.as_secs()).unwrap_or(i32::MAX))
        .skip_matching(true)
        .build()
}

/// Replaces the instances not launched from `template`'s version, and waits until that is done.
/// Instances whose version differs only in its tags are re-tagged in place instead (a tag change
/// never rolls the fleet). Nothing outdated costs one describe.
pub async fn roll(
    cx: &Ctx<'_>,
    group: &AutoScalingGroupState,
    template: &LaunchTemplateState,
    warmup: Duration,
) -> Result<(), Error> {
    let outdated = outdated(cx, group, template.version).await?;
    if outdated.is_empty() || instance_tags::retag_if_only_tags(cx, template, &outdated).await? {
        return Ok(());
    }
    let id = start(cx, group, warmup).await?;
    let what = format!(
        "{} instance(s) of group {} to be replaced with launch template version {}",
        outdated.len(),
        group.name,
        template.version
    );
    cx.waits
        .until(&what, Duration::from_secs(15), || status(cx, group, &id))
        .await
}

/// The group's instances that run another launch template version than `version`.
async fn outdated(
    cx: &Ctx<'_>,
    group: &AutoScalingGroupState,
    version: i64,
) -> Result<Vec<Outdated>, Error> {
    let wanted = version.to_string();
    let g = auto_scaling_group::describe(cx, &group.name).await?;
    Ok(g.iter()
        .flat_map(|g| g.instances())
        .filter_map(|i| {
            let version = i.launch_template().and_then(|t| t.version()).unwrap_or("");
            (version != wanted).then(|| Outdated {
                instance_id: i.instance_id().unwrap_or_default().to_string(),
                version: version.to_string(),
            })
        })
        .collect())
}

/// Starts a refresh, or joins the one already running (an earlier run that stopped waiting).
async fn start(
    cx: &Ctx<'_>,
    group: &AutoScalingGroupState,
    warmup: Duration,
) -> Result<String, Error> {
    let started = cx
        .aws
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(&group.name)
        .strategy(RefreshStrategy::Rolling)
        .preferences(preferences(warmup))
        .send()
        .await
        .map_err(on("autoscaling", "StartInstanceRefresh"));
    match started {
        Ok(out) => out
            .instance_refresh_id()
            .map(str::to_string)
            .ok_or_else(|| {
                Error::missing(
                    "autoscaling",
                    "StartInstanceRefresh",
                    "the instance refresh ID",
                )
            }),
        Err(e) if e.code() == Some("InstanceRefreshInProgress") => {
            running(cx, group).await?.ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// The refresh of the group that is still going, if any.
async fn running(cx: &Ctx<'_>, group: &AutoScalingGroupState) -> Result<Option<String>, Error> {
    let out = cx
        .aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(&group.name)
        .send()
        .await
        .map_err(on("autoscaling", "DescribeInstanceRefreshes"))?;
    Ok(out
        .instance_refreshes()
        .iter()
        .find(|r| r.status().is_some_and(|s| !finished(s.as_str())))
        .and_then(|r| r.instance_refresh_id())
        .map(str::to_string))
}

fn finished(status: &str) -> bool {
    !matches!(
        status,
        "Pending" | "InProgress" | "Cancelling" | "RollbackInProgress" | "Baking"
    )
}

/// `Some(())` once the refresh succeeded; an error naming AWS's reason when it did not.
async fn status(
    cx: &Ctx<'_>,
    group: &AutoScalingGroupState,
    id: &str,
) -> Result<Option<()>, Error> {
    let out = cx
        .aws
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(&group.name)
        .instance_refresh_ids(id)
        .send()
        .await
        .map_err(on("autoscaling", "DescribeInstanceRefreshes"))?;
    let Some(refresh) = out.instance_refreshes().first() else {
        return Ok(None);
    };
    let status = refresh.status().map(|s| s.as_str()).unwrap_or("Pending");
    match status {
        "Successful" => Ok(Some(())),
        s if finished(s) => Err(Error::Failed {
            service: "autoscaling",
            operation: "DescribeInstanceRefreshes",
            reason: format!(
                "the instance refresh {id} of group {} ended {s}: {}",
                group.name,
                refresh.status_reason().unwrap_or("no reason given")
            ),
        }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_launch_before_the_old_instances_go_and_warm_up_as_long_as_the_health_check() {
        let p = preferences(Duration::from_secs(20));
        assert_eq!(p.min_healthy_percentage(), Some(100));
        assert_eq!(p.max_healthy_percentage(), Some(200));
        assert_eq!(p.instance_warmup(), Some(20));
        assert_eq!(p.skip_matching(), Some(true));
    }
}
