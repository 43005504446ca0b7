//! What both of the fleet's security groups share: find-or-create by identity tags, idempotent ingress,
//! idempotent delete.

use std::collections::HashMap;

use aws_sdk_ec2::types::{Filter, IpPermission, ResourceType};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// What the fleet records about a security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupState {
    /// The group's ID.
    pub group_id: String,
}

/// The group this fleet made for `node`, found by its identity tags.
pub(crate) async fn discover(
    cx: &Ctx<'_>,
    node: Node,
) -> Result<Option<SecurityGroupState>, AwsError> {
    let found = cx
        .aws
        .ec2
        .describe_security_groups()
        .set_filters(Some(identity_filters(cx, node)))
        .send()
        .await
        .map_err(on("ec2", "DescribeSecurityGroups"))?;
    Ok(found
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(|id| SecurityGroupState {
            group_id: id.to_string(),
        }))
}

/// Finds the group this fleet made for `node`, or creates it, then grants `ingress` (rules that exist
/// already are fine).
pub async fn ensure(
    cx: &Ctx<'_>,
    node: Node,
    vpc: &VpcState,
    name: &str,
    description: &str,
    ingress: Vec<IpPermission>,
) -> Result<SecurityGroupState, AwsError> {
    let group_id = match discover(cx, node).await? {
        Some(found) => found.group_id,
        None => {
            let spec = tag_spec(cx, node, ResourceType::SecurityGroup, &[]);
            let out = cx
                .aws
                .ec2
                .create_security_group()
                .group_name(name)
                .description(description)
                .vpc_id(&vpc.vpc_id)
                .tag_specifications(spec)
                .send()
                .await
                .map_err(on("ec2", "CreateSecurityGroup"))?;
            out.group_id().unwrap_or_default().to_string()
        }
    };
    for rule in ingress {
        let granted = cx
            .aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group_id)
            .ip_permissions(rule)
            .send()
            .await
            .map_err(on("ec2", "AuthorizeSecurityGroupIngress"));
        match granted {
            Err(e) if e.code.as_deref() != Some("InvalidPermission.Duplicate") => return Err(e),
            _ => {}
        }
    }
    Ok(SecurityGroupState { group_id })
}

/// The group's ingress rules as they are now, or `None` when the group is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &SecurityGroupState,
) -> Result<Option<Vec<IpPermission>>, AwsError> {
    Ok(read_many(cx, &[state]).await?.remove(&state.group_id))
}

/// The ingress rules of those of `groups` that still exist, by group ID, in one call. A `group-id`
/// filter rather than `GroupIds`, because the latter fails the whole call when any group is gone.
pub async fn read_many(
    cx: &Ctx<'_>,
    groups: &[&SecurityGroupState],
) -> Result<HashMap<String, Vec<IpPermission>>, AwsError> {
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = groups.iter().map(|g| g.group_id.clone()).collect();
    let out = cx
        .aws
        .ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await
        .map_err(on("ec2", "DescribeSecurityGroups"))?;
    Ok(out
        .security_groups()
        .iter()
        .filter_map(|g| Some((g.group_id()?.to_string(), g.ip_permissions().to_vec())))
        .collect())
}

/// Deletes the group; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &SecurityGroupState) -> Result<(), AwsError> {
    done_if_gone(
        cx.aws
            .ec2
            .delete_security_group()
            .group_id(&state.group_id)
            .send()
            .await
            .map_err(on("ec2", "DeleteSecurityGroup")),
    )
}
