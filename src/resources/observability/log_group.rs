//! The CloudWatch log group the instances' agent ships application logs to, with a retention so logs
//! do not grow (and cost) without bound.

use serde::{Deserialize, Serialize};

use super::super::{Ctx, TAG_FLEET};
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// Days CloudWatch keeps the application's logs.
pub const RETENTION_DAYS: i32 = 30;

/// What the fleet records about its log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroupState {
    /// The group's name.
    pub name: String,
    /// The group's ARN (without the trailing `:*`).
    pub arn: String,
}

/// The log group's name for a fleet.
pub fn group_name(prefix: &str) -> String {
    format!("/ec2fleet/{prefix}/app")
}

async fn find(cx: &Ctx<'_>, name: &str) -> Result<Option<LogGroupState>, AwsError> {
    let out = cx
        .aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(on("logs", "DescribeLogGroups"))?;
    Ok(out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| LogGroupState {
            name: name.to_string(),
            arn: g
                .arn()
                .unwrap_or_default()
                .trim_end_matches(":*")
                .to_string(),
        }))
}

/// The fleet's log group, when it exists and carries the fleet's tag.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<LogGroupState>, AwsError> {
    let Some(found) = find(cx, &group_name(cx.prefix)).await? else {
        return Ok(None);
    };
    let tags = cx
        .aws
        .logs
        .list_tags_for_resource()
        .resource_arn(&found.arn)
        .send()
        .await
        .map_err(on("logs", "ListTagsForResource"))?;
    let ours = tags
        .tags()
        .is_some_and(|t| t.get(TAG_FLEET).map(String::as_str) == Some(cx.prefix));
    Ok(ours.then_some(found))
}

/// Creates (or adopts) the group and sets its retention.
pub async fn create(cx: &Ctx<'_>) -> Result<LogGroupState, AwsError> {
    let name = group_name(cx.prefix);
    if find(cx, &name).await?.is_none() {
        let created = cx
            .aws
            .logs
            .create_log_group()
            .log_group_name(&name)
            .set_tags(Some(cx.tags(Node::LogGroup).into_iter().collect()))
            .send()
            .await;
        match created.map_err(on("logs", "CreateLogGroup")) {
            Err(e) if e.code.as_deref() != Some("ResourceAlreadyExistsException") => return Err(e),
            _ => {}
        }
    }
    cx.aws
        .logs
        .put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(RETENTION_DAYS)
        .send()
        .await
        .map_err(on("logs", "PutRetentionPolicy"))?;
    let found = find(cx, &name).await?;
    found.ok_or_else(|| {
        AwsError::conflict(
            "logs",
            "CreateLogGroup",
            format!("log group {name} vanished right after it was made"),
        )
    })
}

/// The group as it is now, or `None` when it is gone.
pub async fn read(cx: &Ctx<'_>, state: &LogGroupState) -> Result<Option<LogGroupState>, AwsError> {
    find(cx, &state.name).await
}

/// Deletes the group and its logs; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &LogGroupState) -> Result<(), AwsError> {
    done_if_gone(
        cx.aws
            .logs
            .delete_log_group()
            .log_group_name(&state.name)
            .send()
            .await
            .map_err(on("logs", "DeleteLogGroup")),
    )
}
