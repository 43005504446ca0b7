//! The last step of a create or update: the fleet is only done when it serves as its inputs say. The
//! load balancer must be active, the group's instances on the current launch template version, in
//! service and registered targets healthy; each is checked where it matters (nothing else waits for
//! them, so the rest of the graph never did).

use super::nodes::{Node, Records};
use super::FleetCtx;
use crate::aws::Error;
use crate::resources::compute::{auto_scaling_group, instance_refresh};
use crate::resources::lb::{load_balancer, target_group};

/// Waits for the load balancer, the instances and the targets, all bounded by the request's
/// deadline. A failure names the node whose wait failed.
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
    let instances = async {
        let cx = fleet.cx(Node::AutoScalingGroup);
        let warmup = fleet.args.health_check.time_to_healthy();
        instance_refresh::roll(&cx, &group, &template, warmup)
            .await
            .map_err(at(Node::AutoScalingGroup))?;
        auto_scaling_group::wait_in_service(&cx, &group, want)
            .await
            .map_err(at(Node::AutoScalingGroup))?;
        target_group::wait_healthy(&fleet.cx(Node::TargetGroup), &tg, want)
            .await
            .map_err(at(Node::TargetGroup))
    };
    let active = async {
        load_balancer::wait_active(&fleet.cx(Node::LoadBalancer), &lb)
            .await
            .map_err(at(Node::LoadBalancer))
    };
    tokio::try_join!(active, instances)?;
    Ok(())
}
