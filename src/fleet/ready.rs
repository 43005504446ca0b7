//! The last step of a create or update: the fleet is only done when it serves as its inputs say. The
//! load balancer must be active, the distribution deployed, the group's instances on the current
//! launch template version, in service and registered targets healthy; each is checked where it
//! matters (nothing else waits for them, so the rest of the graph never did), all at once.

use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;

use super::nodes::{Node, Records};
use super::FleetCtx;
use crate::aws::Error;
use crate::resources::cdn::distribution;
use crate::resources::compute::{auto_scaling_group, instance_refresh};
use crate::resources::lb::load_balancer;
use crate::resources::lb::target_group::{self, TargetGroupState};

/// Waits for the load balancer, the distribution (when there is one), the instances and the
/// targets, all bounded by the request's deadline. A failure names the node whose wait failed.
pub async fn wait(fleet: &FleetCtx<'_>, r: &Records) -> Result<(), (Node, Error)> {
    let at = |node: Node| move |e: Error| (node, e);
    let lb = r.need(Node::LoadBalancer).map_err(at(Node::LoadBalancer))?;
    let group = r
        .need(Node::AutoScalingGroup)
        .map_err(at(Node::AutoScalingGroup))?;
    let tg = r.need(Node::TargetGroup).map_err(at(Node::TargetGroup))?;
    let template = r
        .need(Node::LaunchTemplate)
        .map_err(at(Node::LaunchTemplate))?;
    let want = fleet.desired_capacity() as usize;
    let since = DateTime::from(SystemTime::now());
    let instances = async {
        let cx = fleet.cx(Node::AutoScalingGroup);
        let warmup = fleet.args.health_check.time_to_healthy();
        instance_refresh::roll(&cx, &group, &template, warmup)
            .await
            .map_err(at(Node::AutoScalingGroup))?;
        auto_scaling_group::wait_in_service(&cx, &group, want)
            .await
            .map_err(at(Node::AutoScalingGroup))?;
        serving(fleet, &group.name, &tg, want, since)
            .await
            .map_err(at(Node::TargetGroup))
    };
    let active = async {
        load_balancer::wait_active(&fleet.cx(Node::LoadBalancer), &lb)
            .await
            .map_err(at(Node::LoadBalancer))
    };
    let cdn = async {
        match &r.distribution {
            Some(d) => distribution::wait_deployed(&fleet.cx(Node::Distribution), d)
                .await
                .map_err(at(Node::Distribution)),
            None => Ok(()),
        }
    };
    tokio::try_join!(active, cdn, instances)?;
    Ok(())
}

/// Waits until at least `want` targets pass the health check (each needs `healthyThreshold` checks
/// after the instance boots and the app answers). While some fail it, Auto Scaling's replacing an
/// instance for that since `since` fails the wait at once with the targets' reasons: the grace
/// period is over and the app does not answer, so waiting longer would only repeat it.
async fn serving(
    fleet: &FleetCtx<'_>,
    group: &str,
    tg: &TargetGroupState,
    want: usize,
    since: DateTime,
) -> Result<(), Error> {
    let cx = fleet.cx(Node::TargetGroup);
    let what = format!("{want} healthy target(s) in target group {}", tg.name);
    cx.waits
        .until(&what, Duration::from_secs(10), || async {
            let health = target_group::health(&cx, tg).await?;
            if health.healthy >= want {
                return Ok(Some(()));
            }
            if health.unhealthy.is_empty() {
                return Ok(None);
            }
            let replaced = auto_scaling_group::replaced_unhealthy(&cx, group, since).await?;
            if replaced.is_empty() {
                return Ok(None);
            }
            Err(Error::Failed {
                service: "elbv2",
                operation: "DescribeTargetHealth",
                reason: format!(
                    "the load balancer's health checks fail ({} of {want} healthy; Auto Scaling replaced {} for it): {}. Check that the app answers healthCheck.path ({}) on appPort with a code in {}",
                    health.healthy,
                    replaced.join(", "),
                    health.unhealthy.join("; "),
                    fleet.args.health_check.path,
                    target_group::HEALTHY_CODES
                ),
            })
        })
        .await
}
