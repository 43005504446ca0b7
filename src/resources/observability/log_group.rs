//! The CloudWatch log group the instances' agent ships application logs to, with a retention so logs
//! do not grow (and cost) without bound.

use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use crate::aws::error::{done_if_gone, on};
use crate::aws::Error;

/// The application's log group, `/ec2fleet/<prefix>/app`.
pub struct LogGroup;

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

async fn find(cx: &Ctx<'_>, name: &str) -> Result<Option<LogGroupState>, Error> {
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

impl Reconciler for LogGroup {
    type Spec = ();
    type Record = LogGroupState;
    type Within = ();

    /// Creates (or adopts) the group and sets its retention.
    async fn apply(&self, cx: &Ctx<'_>, _spec: &()) -> Result<LogGroupState, Error> {
        let name = group_name(cx.prefix);
        if find(cx, &name).await?.is_none() {
            let created = cx
                .aws
                .logs
                .create_log_group()
                .log_group_name(&name)
                .set_tags(Some(cx.tags().into_iter().collect()))
                .send()
                .await;
            match created.map_err(on("logs", "CreateLogGroup")) {
                Err(e) if e.code() != Some("ResourceAlreadyExistsException") => return Err(e),
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
        found.ok_or_else(|| Error::Failed {
            service: "logs",
            operation: "CreateLogGroup",
            reason: format!("log group {name} vanished right after it was made"),
        })
    }

    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &LogGroupState,
    ) -> Result<Option<LogGroupState>, Error> {
        find(cx, &record.name).await
    }

    /// Deletes the group and its logs; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, record: &LogGroupState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .logs
                .delete_log_group()
                .log_group_name(&record.name)
                .send()
                .await
                .map_err(on("logs", "DeleteLogGroup")),
        )
    }

    /// The fleet's log group, when it exists and carries the fleet's tag.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<LogGroupState>, Error> {
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

    fn tag_targets(&self, r: &LogGroupState) -> Vec<Target> {
        vec![Target::LogGroup(r.arn.clone())]
    }
}
