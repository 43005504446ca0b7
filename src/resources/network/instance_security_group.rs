//! The instances' security group: the app port from the load balancer only; SSH only from the CIDRs the
//! user names (none by default, unlike the seed's port 22 open to the world).

use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};

use super::super::Ctx;
use super::security_group::{self, SecurityGroupState};
use super::vpc::VpcState;
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// Creates (or adopts) the group and its ingress rules.
pub async fn create(
    cx: &Ctx<'_>,
    vpc: &VpcState,
    load_balancer: &SecurityGroupState,
) -> Result<SecurityGroupState, AwsError> {
    let port = i32::from(cx.args.app_port);
    let from_lb = UserIdGroupPair::builder()
        .group_id(&load_balancer.group_id)
        .description("from the load balancer")
        .build();
    let mut rules = vec![IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(from_lb)
        .build()];
    if !cx.args.ssh_ingress_cidrs.is_empty() {
        let ranges = cx
            .args
            .ssh_ingress_cidrs
            .iter()
            .map(|c| IpRange::builder().cidr_ip(c).description("SSH").build())
            .collect();
        rules.push(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .set_ip_ranges(Some(ranges))
                .build(),
        );
    }
    let name = format!("{}-instances", cx.prefix);
    security_group::ensure(
        cx,
        Node::InstanceSecurityGroup,
        vpc,
        &name,
        "ec2fleet instances",
        rules,
    )
    .await
}
