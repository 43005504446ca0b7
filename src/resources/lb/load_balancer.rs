//! The internet-facing application load balancer in the public subnets. Its DNS name is known as soon
//! as CreateLoadBalancer answers, so the CDN can start without waiting for it to become active.

use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::network::security_group::SecurityGroupState;
use crate::resources::network::subnets::SubnetsState;

/// The fleet's load balancer (see the module docs).
pub struct LoadBalancer;

/// What the load balancer is made from.
pub struct Spec {
    /// The public subnets it spreads over.
    pub subnets: SubnetsState,
    /// Its security group.
    pub security_group: SecurityGroupState,
}

/// What the fleet records about its load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerState {
    /// The load balancer's ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// Its public DNS name.
    pub dns_name: String,
    /// Its Route 53 hosted zone (for alias records when the CDN is off).
    pub canonical_hosted_zone_id: String,
}

/// The load balancer's name: `<prefix>-alb` (at most 32 characters).
pub fn lb_name(prefix: &str) -> String {
    format!("{prefix}-alb")
}

fn state_of(
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
    name: &str,
) -> LoadBalancerState {
    LoadBalancerState {
        arn: lb.load_balancer_arn().unwrap_or_default().into(),
        name: name.into(),
        dns_name: lb.dns_name().unwrap_or_default().into(),
        canonical_hosted_zone_id: lb.canonical_hosted_zone_id().unwrap_or_default().into(),
    }
}

/// The load balancer named `name`, and whether it carries the fleet's tag.
async fn named(cx: &Ctx<'_>, name: &str) -> Result<Option<(LoadBalancerState, bool)>, Error> {
    let elb = &cx.aws.elbv2;
    let found = none_if_gone(
        elb.describe_load_balancers()
            .names(name)
            .send()
            .await
            .map_err(on("elbv2", "DescribeLoadBalancers")),
    )?;
    let Some(state) = found
        .as_ref()
        .and_then(|o| o.load_balancers().first())
        .map(|lb| state_of(lb, name))
    else {
        return Ok(None);
    };
    let ours = super::owned(cx, &state.arn).await?;
    Ok(Some((state, ours)))
}

async fn find(cx: &Ctx<'_>, name: &str) -> Result<Option<LoadBalancerState>, Error> {
    match named(cx, name).await? {
        Some((state, true)) => Ok(Some(state)),
        Some(_) => Err(cx.name_taken("elbv2", "a load balancer", name)),
        None => Ok(None),
    }
}

/// The load balancer with this ARN as AWS describes it; `None` when it is gone.
async fn by_arn(
    cx: &Ctx<'_>,
    arn: &str,
) -> Result<Option<aws_sdk_elasticloadbalancingv2::types::LoadBalancer>, Error> {
    let found = cx
        .aws
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(arn)
        .send()
        .await;
    let found = none_if_gone(found.map_err(on("elbv2", "DescribeLoadBalancers")))?;
    Ok(found.and_then(|o| o.load_balancers().first().cloned()))
}

impl Reconciler for LoadBalancer {
    type Spec = Spec;
    type Record = LoadBalancerState;
    type Within = ();

    /// Creates (or adopts) the load balancer; does not wait for it to be active.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<LoadBalancerState, Error> {
        let name = lb_name(cx.prefix);
        let state = match find(cx, &name).await? {
            Some(s) => s,
            None => {
                let tags = super::tags(cx);
                let out = cx
                    .aws
                    .elbv2
                    .create_load_balancer()
                    .name(&name)
                    .r#type(LoadBalancerTypeEnum::Application)
                    .scheme(LoadBalancerSchemeEnum::InternetFacing)
                    .ip_address_type(IpAddressType::Ipv4)
                    .set_subnets(Some(spec.subnets.subnet_ids.clone()))
                    .security_groups(&spec.security_group.group_id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(on("elbv2", "CreateLoadBalancer"))?;
                let lb = out
                    .load_balancers()
                    .first()
                    .filter(|lb| lb.load_balancer_arn().is_some())
                    .ok_or_else(|| {
                        Error::missing("elbv2", "CreateLoadBalancer", "the load balancer's ARN")
                    })?;
                state_of(lb, &name)
            }
        };
        // Malformed headers are dropped rather than passed to the app (AWS's own hardening advice).
        let drop_invalid = LoadBalancerAttribute::builder()
            .key("routing.http.drop_invalid_header_fields.enabled")
            .value("true")
            .build();
        cx.aws
            .elbv2
            .modify_load_balancer_attributes()
            .load_balancer_arn(&state.arn)
            .attributes(drop_invalid)
            .send()
            .await
            .map_err(on("elbv2", "ModifyLoadBalancerAttributes"))?;
        Ok(state)
    }

    /// The load balancer as it is now; `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &LoadBalancerState,
    ) -> Result<Option<LoadBalancerState>, Error> {
        Ok(by_arn(cx, &state.arn)
            .await?
            .map(|lb| state_of(&lb, &state.name)))
    }

    /// Deletes the load balancer, then waits until its network interfaces are released: until then
    /// AWS refuses to delete its subnets and security group.
    async fn delete(&self, cx: &Ctx<'_>, state: &LoadBalancerState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .elbv2
                .delete_load_balancer()
                .load_balancer_arn(&state.arn)
                .send()
                .await
                .map_err(on("elbv2", "DeleteLoadBalancer")),
        )?;
        let id = state
            .arn
            .rsplit(":loadbalancer/")
            .next()
            .unwrap_or_default();
        let description = aws_sdk_ec2::types::Filter::builder()
            .name("description")
            .values(format!("ELB {id}"))
            .build();
        let what = format!(
            "load balancer {} to release its network interfaces",
            state.name
        );
        // ENIs of a deleted ALB typically go within 1-5 minutes; poll gently.
        cx.waits
            .until(&what, Duration::from_secs(5), || async {
                let enis = cx
                    .aws
                    .ec2
                    .describe_network_interfaces()
                    .filters(description.clone())
                    .send()
                    .await
                    .map_err(on("ec2", "DescribeNetworkInterfaces"))?;
                Ok(enis.network_interfaces().is_empty().then_some(()))
            })
            .await
    }

    /// The fleet's load balancer, when it exists and carries the fleet's tag.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<LoadBalancerState>, Error> {
        let found = named(cx, &lb_name(cx.prefix)).await?;
        Ok(found.and_then(|(state, ours)| ours.then_some(state)))
    }

    fn tag_targets(&self, r: &LoadBalancerState) -> Vec<Target> {
        vec![Target::Elb(r.arn.clone())]
    }
}

/// Waits until the load balancer is active (a new one provisions for one to three minutes).
pub async fn wait_active(cx: &Ctx<'_>, state: &LoadBalancerState) -> Result<(), Error> {
    let what = format!("load balancer {} to become active", state.name);
    cx.waits
        .until(&what, Duration::from_secs(15), || async {
            let code = by_arn(cx, &state.arn)
                .await?
                .and_then(|lb| lb.state().and_then(|s| s.code()).cloned())
                .map(|c| c.as_str().to_string());
            match code.as_deref() {
                Some("active") => Ok(Some(())),
                Some("failed") => Err(Error::Failed {
                    service: "elbv2",
                    operation: "DescribeLoadBalancers",
                    reason: format!("load balancer {} failed to provision", state.name),
                }),
                _ => Ok(None),
            }
        })
        .await
}
