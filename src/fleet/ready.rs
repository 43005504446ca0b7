//! The last step of a create or update: the fleet is only done when it serves as its inputs say. The
//! load balancer must be active, the group's instances on the current launch template version, in
//! service and registered targets healthy; each is checked where it matters (nothing else waits for
//! them, so the rest of the graph never did).

use super::plan::Node;
use super::state::{need, Records};
use crate::aws::AwsError;
use crate::resources::compute::{auto_scaling_group, instance_refresh};
use crate::resources::lb::{load_balancer, target_group};
use crate::resources::Ctx;

/// Waits for the load balancer, the instances and the targets, all bounded by the request's deadline.
pub async fn wait(cx: &Ctx<'_>, r: &Records) -> Result<(), AwsError> {
    let lb = need(&r.load_balancer, Node::LoadBalancer)?;
    let group = need(&r.auto_scaling_group, Node::AutoScalingGroup)?;
    let tg = need(&r.target_group, Node::TargetGroup)?;
    let template = need(&r.launch_template, Node::LaunchTemplate)?;
    let want = cx.args.desired_capacity.unwrap_or(cx.args.min_capacity) as usize;
    let instances = async {
        instance_refresh::roll(cx, group, template).await?;
        auto_scaling_group::wait_in_service(cx, group, want).await?;
        target_group::wait_healthy(cx, tg, want).await
    };
    tokio::try_join!(load_balancer::wait_active(cx, lb), instances)?;
    Ok(())
}
