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

/// The tag specification for a new EC2 object of `kind` made by the sub-resource of `cx`, with
/// `extra` tags on top.
pub fn tag_spec(cx: &Ctx<'_>, kind: ResourceType, extra: &[(&str, String)]) -> TagSpecification {
    let mut tags = cx.tags();
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

/// Filters that find the objects of the sub-resource of `cx` (this fleet, this node).
pub fn identity_filters(cx: &Ctx<'_>) -> Vec<Filter> {
    vec![
        tag_filter(TAG_FLEET, cx.prefix),
        tag_filter(TAG_NODE, cx.node),
    ]
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}
