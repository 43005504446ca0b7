//! Network sub-resources: VPC, public subnets, internet gateway, route table and security groups, and
//! the EC2 tagging helpers they share.

pub mod instance_security_group;
pub mod internet_gateway;
pub mod load_balancer_security_group;
pub mod route_table;
pub mod security_group;
pub mod subnets;
pub mod vpc;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::{Ctx, TAG_FLEET, TAG_NODE};
use crate::fleet::plan::Node;

/// The tag specification for a new EC2 object of `node`, with `extra` tags on top.
pub(crate) fn tag_spec(
    cx: &Ctx<'_>,
    node: Node,
    kind: ResourceType,
    extra: &[(&str, String)],
) -> TagSpecification {
    let mut tags = cx.tags(node);
    tags.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let tags = tags
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags))
        .build()
}

/// Filters that find this fleet's objects of `node`.
fn identity_filters(cx: &Ctx<'_>, node: Node) -> Vec<Filter> {
    vec![
        tag_filter(TAG_FLEET, cx.prefix),
        tag_filter(TAG_NODE, &node.to_string()),
    ]
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}
