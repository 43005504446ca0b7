//! The EventBridge rule that starts the pipeline when a new version of the release archive lands in
//! the source bucket. The trail (`trail.rs`) reports each write as an "AWS API Call via CloudTrail"
//! event; the rule matches writes to exactly that object and starts the pipeline with the events role.

use aws_sdk_eventbridge::types::{RuleState, Tag, Target};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::tagging;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use super::pipeline::PipelineState;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::iam::role::{RoleState, Scope};
use crate::resources::storage::bucket::BucketState;

/// The id of the rule's one target, the pipeline.
const TARGET_ID: &str = "pipeline";

/// The EventBridge rule's reconciler.
pub struct EventRule;

/// What the fleet records about its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRuleState {
    /// The rule's name (on the default event bus).
    pub name: String,
    /// The rule's ARN.
    pub arn: String,
}

/// What the rule watches and starts.
pub struct Spec {
    /// The bucket holding the release archive.
    pub source: BucketState,
    /// The pipeline it starts.
    pub pipeline: PipelineState,
    /// The role EventBridge assumes to start it.
    pub role: RoleState,
    /// The key of the release archive in the source bucket.
    pub source_key: String,
}

/// Every way an object can be written (a plain upload, a multipart upload, a copy), to that key.
fn pattern(bucket: &str, key: &str) -> serde_json::Value {
    json!({
        "source": ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["s3.amazonaws.com"],
            "eventName": ["PutObject", "CompleteMultipartUpload", "CopyObject"],
            "requestParameters": {"bucketName": [bucket], "key": [key]}
        }
    })
}

/// The ARN of the rule named `name`, or `None` when there is none.
async fn existing(cx: &Ctx<'_>, name: &str) -> Result<Option<String>, Error> {
    let got = cx.aws.events.describe_rule().name(name).send().await;
    let Some(rule) = none_if_gone(got.map_err(on("events", "DescribeRule")))? else {
        return Ok(None);
    };
    let arn = rule
        .arn
        .ok_or_else(|| Error::missing("events", "DescribeRule", "the rule's ARN"))?;
    Ok(Some(arn))
}

/// Whether the rule at `arn` carries the fleet's tag.
async fn owned(cx: &Ctx<'_>, arn: &str) -> Result<bool, Error> {
    let out = cx
        .aws
        .events
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(on("events", "ListTagsForResource"))?;
    Ok(out
        .tags()
        .iter()
        .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix))
}

/// The fleet's rule (on the default event bus): `<prefix>-release`.
pub fn rule_name(prefix: &str) -> String {
    format!("{prefix}-release")
}

/// The ARN of the rule `name` on the default event bus in `at`:
/// `arn:PARTITION:events:REGION:ACCOUNT:rule/NAME` (the events role's trust names it before the
/// rule exists).
pub fn rule_arn(at: &Scope<'_>, name: &str) -> String {
    at.arn("events", &format!("rule/{name}"))
}

impl Reconciler for EventRule {
    type Spec = Spec;
    type Record = EventRuleState;
    type Within = ();

    /// Creates (or updates the fleet's own) rule, enabled, with the pipeline as its one target.
    /// PutRule replaces a rule of the same name, so one that is not the fleet's is refused first.
    async fn apply(&self, cx: &Ctx<'_>, r: &Spec) -> Result<EventRuleState, Error> {
        let name = rule_name(cx.prefix);
        if let Some(arn) = existing(cx, &name).await? {
            if !owned(cx, &arn).await? {
                return Err(cx.name_taken("events", "an EventBridge rule", &name));
            }
        }
        let ev = &cx.aws.events;
        let tags = cx
            .tags()
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let put = ev
            .put_rule()
            .name(&name)
            .description("Starts the fleet's pipeline when a new release archive is uploaded")
            .event_pattern(pattern(&r.source.name, &r.source_key).to_string())
            .state(RuleState::Enabled)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(on("events", "PutRule"))?;
        let arn = put
            .rule_arn()
            .map(str::to_string)
            .ok_or_else(|| Error::missing("events", "PutRule", "the rule's ARN"))?;
        let target = Target::builder()
            .id(TARGET_ID)
            .arn(&r.pipeline.arn)
            .role_arn(&r.role.role_arn)
            .build()
            .map_err(Error::build("events", "PutTargets"))?;
        let out = ev
            .put_targets()
            .rule(&name)
            .targets(target)
            .send()
            .await
            .map_err(on("events", "PutTargets"))?;
        if let Some(failed) = out.failed_entries().first() {
            return Err(Error::Failed {
                service: "events",
                operation: "PutTargets",
                reason: format!(
                    "the pipeline target of rule {name} was refused: {}: {}",
                    failed.error_code().unwrap_or_default(),
                    failed.error_message().unwrap_or_default()
                ),
            });
        }
        Ok(EventRuleState { name, arn })
    }

    /// The rule as it is now, or `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &EventRuleState,
    ) -> Result<Option<EventRuleState>, Error> {
        Ok(existing(cx, &state.name).await?.map(|arn| EventRuleState {
            name: state.name.clone(),
            arn,
        }))
    }

    /// Removes the rule's target, then the rule (EventBridge refuses to delete a rule with
    /// targets); what is already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &EventRuleState) -> Result<(), Error> {
        let ev = &cx.aws.events;
        let removed = ev
            .remove_targets()
            .rule(&state.name)
            .ids(TARGET_ID)
            .send()
            .await;
        done_if_gone(removed.map_err(on("events", "RemoveTargets")))?;
        let deleted = ev.delete_rule().name(&state.name).send().await;
        done_if_gone(deleted.map_err(on("events", "DeleteRule")))
    }

    /// The fleet's rule, when it exists and carries the fleet's tag.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<EventRuleState>, Error> {
        let name = rule_name(cx.prefix);
        match existing(cx, &name).await? {
            Some(arn) if owned(cx, &arn).await? => Ok(Some(EventRuleState { name, arn })),
            _ => Ok(None),
        }
    }

    fn tag_targets(&self, r: &EventRuleState) -> Vec<tagging::Target> {
        vec![tagging::Target::EventRule(r.arn.clone())]
    }
}
