//! The load balancer's security group. With the CDN on, only CloudFront's origin-facing servers may
//! reach the listeners (AWS's managed prefix list), not the whole internet as in the seed. Made and
//! read by [`super::security_group::SecurityGroup`]; this file says what its rules are.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, PrefixListId};

use super::super::Ctx;
use super::vpc::VpcState;
use crate::aws::error::{on, Error};

/// AWS's managed prefix list of CloudFront's origin-facing addresses.
pub const CLOUDFRONT_PREFIX_LIST: &str = "com.amazonaws.global.cloudfront.origin-facing";

/// The group's name after the fleet's prefix.
pub(super) const NAME_SUFFIX: &str = "alb";
/// The group's description.
pub(super) const DESCRIPTION: &str = "ec2fleet load balancer";

/// What the load balancer's security group is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The VPC it lives in.
    pub vpc: VpcState,
    /// The ports to open (with the CDN, only the one CloudFront connects to).
    pub ports: Vec<u16>,
    /// Whether the CDN fronts the load balancer (then only CloudFront may reach it).
    pub cdn: bool,
}

async fn cloudfront_prefix_list(cx: &Ctx<'_>) -> Result<String, Error> {
    let by_name = Filter::builder()
        .name("prefix-list-name")
        .values(CLOUDFRONT_PREFIX_LIST)
        .build();
    let out = cx
        .aws
        .ec2
        .describe_managed_prefix_lists()
        .filters(by_name)
        .send()
        .await
        .map_err(on("ec2", "DescribeManagedPrefixLists"))?;
    out.prefix_lists()
        .first()
        .and_then(|p| p.prefix_list_id())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::missing(
                "ec2",
                "DescribeManagedPrefixLists",
                "CloudFront's origin-facing prefix list",
            )
        })
}

/// The group's ingress rules: each listener port from CloudFront's prefix list with the CDN on,
/// from anywhere with it off. Looks the prefix list up (one call) when the CDN is on.
pub async fn ingress(cx: &Ctx<'_>, spec: &Spec) -> Result<Vec<IpPermission>, Error> {
    let source = if spec.cdn {
        Some(cloudfront_prefix_list(cx).await?)
    } else {
        None
    };
    Ok(spec
        .ports
        .iter()
        .map(|&port| {
            let rule = IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(port.into())
                .to_port(port.into());
            match &source {
                Some(pl) => rule.prefix_list_ids(
                    PrefixListId::builder()
                        .prefix_list_id(pl)
                        .description("CloudFront origin-facing")
                        .build(),
                ),
                None => rule.ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("public (CDN off)")
                        .build(),
                ),
            }
            .build()
        })
        .collect())
}
