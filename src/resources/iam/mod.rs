//! IAM sub-resources: the instances' role and instance profile, the service roles, and the role
//! recipe they share.

pub mod codedeploy_role;
pub mod events_role;
pub mod instance_profile;
pub mod instance_role;
pub mod pipeline_role;
pub mod role;

use aws_sdk_iam::types::Tag;

use super::{Ctx, TAG_FLEET};

/// Path every IAM object of the fleet lives under, so they are easy to find and to scope.
pub const PATH: &str = "/ec2fleet/";

/// The IAM name of the sub-resource's object: `<prefix>-<suffix>`.
fn name(cx: &Ctx<'_>, suffix: &str) -> String {
    format!("{}-{suffix}", cx.prefix)
}

/// The sub-resource's tags, as IAM takes them.
fn tags(cx: &Ctx<'_>) -> Vec<Tag> {
    cx.tags()
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Whether IAM tags say the object belongs to this fleet.
fn ours(cx: &Ctx<'_>, tags: &[Tag]) -> bool {
    tags.iter()
        .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix)
}
