//! Load-balancing sub-resources: the load balancer, its listeners and the target group.

pub mod listeners;
pub mod load_balancer;
pub mod target_group;

use aws_sdk_elasticloadbalancingv2::types::Tag;

use super::{Ctx, TAG_FLEET};
use crate::aws::error::on;
use crate::aws::Error;

/// Whether the ELBv2 object at `arn` carries this fleet's identity tag.
async fn owned(cx: &Ctx<'_>, arn: &str) -> Result<bool, Error> {
    let tags = cx
        .aws
        .elbv2
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(on("elbv2", "DescribeTags"))?;
    Ok(tags
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .any(|t| t.key() == Some(TAG_FLEET) && t.value() == Some(cx.prefix)))
}

/// The sub-resource's tags as ELBv2 takes them at creation.
fn tags(cx: &Ctx<'_>) -> Vec<Tag> {
    cx.tags()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}
