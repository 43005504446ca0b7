//! The load balancer's security group. With the CDN on, only CloudFront's origin-facing servers may
//! reach the listeners (AWS's managed prefix list), not the whole internet as in the seed.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, PrefixListId};

use super::super::Ctx;
use super::security_group::{self, SecurityGroupState};
use super::vpc::VpcState;
use crate::aws::error::on;
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// AWS's managed prefix list of CloudFront's origin-facing addresses.
pub const CLOUDFRONT_PREFIX_LIST: &str = "com.amazonaws.global.cloudfront.origin-facing";

/// The ports the listeners use: the listener port, and 443 when there is a certificate.
pub fn listener_ports(cx: &Ctx<'_>) -> Vec<u16> {
    let mut ports = vec![cx.args.listener_port];
    if cx.args.certificate_arn.is_some() && cx.args.listener_port != 443 {
        ports.push(443);
    }
    ports
}

async fn cloudfront_prefix_list(cx: &Ctx<'_>) -> Result<String, AwsError> {
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
    Ok(out
        .prefix_lists()
        .first()
        .and_then(|p| p.prefix_list_id())
        .unwrap_or_default()
        .to_string())
}

/// Creates (or adopts) the group and its ingress rules.
pub async fn create(cx: &Ctx<'_>, vpc: &VpcState) -> Result<SecurityGroupState, AwsError> {
    let source = if cx.args.cdn.enabled {
        Some(cloudfront_prefix_list(cx).await?)
    } else {
        None
    };
    let rules = listener_ports(cx)
        .into_iter()
        .map(|port| {
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
        .collect();
    let name = format!("{}-alb", cx.prefix);
    security_group::ensure(
        cx,
        Node::LoadBalancerSecurityGroup,
        vpc,
        &name,
        "ec2fleet load balancer",
        rules,
    )
    .await
}
