//! The instances' security group: the app port from the load balancer only; SSH only from the CIDRs the
//! user names (none by default, unlike the seed's port 22 open to the world). Made and read by
//! [`super::security_group::SecurityGroup`]; this file says what its rules are.

use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};

use super::security_group::SecurityGroupState;
use super::vpc::VpcState;

/// The group's name after the fleet's prefix.
pub(super) const NAME_SUFFIX: &str = "instances";
/// The group's description.
pub(super) const DESCRIPTION: &str = "ec2fleet instances";

/// What the instances' security group is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The VPC it lives in.
    pub vpc: VpcState,
    /// The load balancer's group, the only source allowed on the app port.
    pub load_balancer_group: SecurityGroupState,
    /// The port the app listens on.
    pub app_port: u16,
    /// The CIDRs allowed to reach port 22; none opens no SSH at all.
    pub ssh_cidrs: Vec<String>,
}

/// The group's ingress rules: the app port from the load balancer's group, and SSH from the given
/// CIDRs when there are any.
pub fn ingress(spec: &Spec) -> Vec<IpPermission> {
    let port = i32::from(spec.app_port);
    let from_lb = UserIdGroupPair::builder()
        .group_id(&spec.load_balancer_group.group_id)
        .description("from the load balancer")
        .build();
    let mut rules = vec![IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(from_lb)
        .build()];
    if !spec.ssh_cidrs.is_empty() {
        let ranges = spec
            .ssh_cidrs
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
    rules
}
