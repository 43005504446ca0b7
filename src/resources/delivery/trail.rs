//! The CloudTrail trail that turns uploads of the release archive into EventBridge events: S3 object
//! writes reach EventBridge only through a trail that records them as data events. It records writes
//! to that one object and nothing else (no management events), so it costs next to nothing, and keeps
//! its log files in the artifacts bucket under `cloudtrail/`.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector, Tag};
use aws_smithy_types::error::operation::BuildError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::iam::role::Scope;
use crate::resources::storage::bucket::{tls_only_policy, BucketState};

/// Where in the logs bucket the trail writes.
const LOG_PREFIX: &str = "cloudtrail";

/// The trail's reconciler.
pub struct Trail;

/// What the fleet records about its trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailState {
    /// The trail's name.
    pub name: String,
    /// The trail's ARN.
    pub arn: String,
    /// The bucket its log files go to.
    pub bucket: String,
}

/// What the trail watches and where it writes.
pub struct Spec {
    /// The bucket holding the release archive.
    pub source: BucketState,
    /// The bucket the trail's log files go to.
    pub logs: BucketState,
    /// The key of the release archive in the source bucket.
    pub source_key: String,
}

/// The logs bucket's policy: its TLS-only statement plus the two statements AWS documents for
/// CloudTrail delivery, limited to this trail (`aws:SourceArn`) so no other trail can write there.
/// The bucket's ARNs are in `at`'s partition.
fn logs_policy(at: &Scope<'_>, bucket: &str, trail_arn: &str) -> serde_json::Value {
    let account = at.account;
    let bucket_arn = at.bucket_arn(bucket);
    let tls = tls_only_policy(&bucket_arn);
    let mut statements = tls["Statement"].as_array().cloned().unwrap_or_default();
    statements.extend([
        json!({
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}
        }),
        json!({
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("{bucket_arn}/{LOG_PREFIX}/AWSLogs/{account}/*"),
            "Condition": {"StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": trail_arn
            }}
        }),
    ]);
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn field(name: &str, value: &str) -> Result<AdvancedFieldSelector, BuildError> {
    AdvancedFieldSelector::builder()
        .field(name)
        .equals(value)
        .build()
}

/// Writes to exactly the release archive (an `Equals` on its ARN, in `at`'s partition; a basic
/// selector's value would be a key prefix and match other objects too).
fn selector(at: &Scope<'_>, r: &Spec) -> Result<AdvancedEventSelector, BuildError> {
    let object = format!("{}/{}", at.bucket_arn(&r.source.name), r.source_key);
    AdvancedEventSelector::builder()
        .name("release archive writes")
        .field_selectors(field("eventCategory", "Data")?)
        .field_selectors(field("resources.type", "AWS::S3::Object")?)
        .field_selectors(field("readOnly", "false")?)
        .field_selectors(field("resources.ARN", &object)?)
        .build()
}

/// Whether a trail named `name` exists.
async fn exists(cx: &Ctx<'_>, name: &str) -> Result<bool, Error> {
    let got = cx.aws.cloudtrail.get_trail().name(name).send().await;
    Ok(none_if_gone(got.map_err(on("cloudtrail", "GetTrail")))?.is_some())
}

/// Whether the trail at `arn` carries the fleet's tag.
async fn owned(cx: &Ctx<'_>, arn: &str) -> Result<bool, Error> {
    let out = cx
        .aws
        .cloudtrail
        .list_tags()
        .resource_id_list(arn)
        .send()
        .await
        .map_err(on("cloudtrail", "ListTags"))?;
    Ok(out
        .resource_tag_list()
        .iter()
        .flat_map(|r| r.tags_list())
        .any(|t| t.key() == TAG_FLEET && t.value() == Some(cx.prefix)))
}

/// The trail's name and ARN.
async fn identity(cx: &Ctx<'_>) -> Result<(String, String), Error> {
    let name = format!("{}-trail", cx.prefix);
    let account = cx.aws.account_id().await?;
    let arn = Scope::of(cx, &account).arn("cloudtrail", &format!("trail/{name}"));
    Ok((name, arn))
}

impl Reconciler for Trail {
    type Spec = Spec;
    type Record = TrailState;
    type Within = ();

    /// Creates the trail (or updates the one this fleet made), lets it write to the logs bucket,
    /// points it at the release archive and starts it logging.
    async fn apply(&self, cx: &Ctx<'_>, r: &Spec) -> Result<TrailState, Error> {
        let (name, arn) = identity(cx).await?;
        let account = cx.aws.account_id().await?;
        let at = Scope::of(cx, &account);
        let found = exists(cx, &name).await?;
        if found && !owned(cx, &arn).await? {
            return Err(cx.name_taken("cloudtrail", "a trail", &name));
        }
        // CloudTrail checks the bucket policy when the trail is made or changed, so it goes first.
        cx.aws
            .s3
            .put_bucket_policy()
            .bucket(&r.logs.name)
            .policy(logs_policy(&at, &r.logs.name, &arn).to_string())
            .send()
            .await
            .map_err(on("s3", "PutBucketPolicy"))?;
        let ct = &cx.aws.cloudtrail;
        if found {
            ct.update_trail()
                .name(&arn)
                .s3_bucket_name(&r.logs.name)
                .s3_key_prefix(LOG_PREFIX)
                .include_global_service_events(false)
                .is_multi_region_trail(false)
                .enable_log_file_validation(true)
                .send()
                .await
                .map_err(on("cloudtrail", "UpdateTrail"))?;
        } else {
            let tags = cx
                .tags()
                .into_iter()
                .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                .collect();
            ct.create_trail()
                .name(&name)
                .s3_bucket_name(&r.logs.name)
                .s3_key_prefix(LOG_PREFIX)
                .include_global_service_events(false)
                .is_multi_region_trail(false)
                .enable_log_file_validation(true)
                .set_tags_list(Some(tags))
                .send()
                .await
                .map_err(on("cloudtrail", "CreateTrail"))?;
        }
        let selector = selector(&at, r).map_err(Error::build("cloudtrail", "PutEventSelectors"))?;
        ct.put_event_selectors()
            .trail_name(&arn)
            .advanced_event_selectors(selector)
            .send()
            .await
            .map_err(on("cloudtrail", "PutEventSelectors"))?;
        ct.start_logging()
            .name(&arn)
            .send()
            .await
            .map_err(on("cloudtrail", "StartLogging"))?;
        Ok(TrailState {
            name,
            arn,
            bucket: r.logs.name.clone(),
        })
    }

    /// The trail as it is now (logging or not), or `None` when it is gone.
    async fn read(&self, cx: &Ctx<'_>, state: &TrailState) -> Result<Option<TrailState>, Error> {
        let got = cx.aws.cloudtrail.get_trail().name(&state.arn).send().await;
        let found = none_if_gone(got.map_err(on("cloudtrail", "GetTrail")))?;
        Ok(found.and_then(|out| out.trail).map(|t| TrailState {
            name: t.name.unwrap_or_else(|| state.name.clone()),
            arn: t.trail_arn.unwrap_or_else(|| state.arn.clone()),
            bucket: t.s3_bucket_name.unwrap_or_else(|| state.bucket.clone()),
        }))
    }

    /// Stops and deletes the trail; one already gone is done. The bucket policy stays with its
    /// bucket.
    async fn delete(&self, cx: &Ctx<'_>, state: &TrailState) -> Result<(), Error> {
        let ct = &cx.aws.cloudtrail;
        let stopped = ct.stop_logging().name(&state.arn).send().await;
        done_if_gone(stopped.map_err(on("cloudtrail", "StopLogging")))?;
        let deleted = ct.delete_trail().name(&state.arn).send().await;
        done_if_gone(deleted.map_err(on("cloudtrail", "DeleteTrail")))
    }

    /// The fleet's trail, when it exists and carries the fleet's tag.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<TrailState>, Error> {
        let (name, arn) = identity(cx).await?;
        if !exists(cx, &name).await? || !owned(cx, &arn).await? {
            return Ok(None);
        }
        let unknown = TrailState {
            name,
            arn,
            bucket: String::new(),
        };
        self.read(cx, &unknown).await
    }

    fn tag_targets(&self, r: &TrailState) -> Vec<Target> {
        vec![Target::Trail(r.arn.clone())]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_logs_policy_is_in_the_regions_partition() {
        let at = Scope {
            partition: "aws-cn",
            region: "cn-north-1",
            account: "123456789012",
            prefix: "web",
        };
        let trail = "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/web-trail";
        let doc = logs_policy(&at, "web-artifacts", trail);
        let s = &doc["Statement"];
        assert_eq!(s[0]["Sid"], "TlsOnly");
        assert_eq!(
            s[0]["Resource"],
            json!([
                "arn:aws-cn:s3:::web-artifacts",
                "arn:aws-cn:s3:::web-artifacts/*"
            ])
        );
        assert_eq!(s[1]["Resource"], "arn:aws-cn:s3:::web-artifacts");
        assert_eq!(s[1]["Condition"]["StringEquals"]["aws:SourceArn"], trail);
        assert_eq!(
            s[2]["Resource"],
            "arn:aws-cn:s3:::web-artifacts/cloudtrail/AWSLogs/123456789012/*"
        );
        assert!(!doc.to_string().contains("arn:aws:"), "{doc}");
    }

    #[test]
    fn the_tls_only_policy_takes_a_bucket_arn_or_a_name() {
        assert_eq!(
            tls_only_policy("arn:aws-us-gov:s3:::b")["Statement"][0]["Resource"],
            json!(["arn:aws-us-gov:s3:::b", "arn:aws-us-gov:s3:::b/*"])
        );
        assert_eq!(
            tls_only_policy("b")["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
        );
    }

    #[test]
    fn the_selector_matches_the_archive_by_its_arn_in_the_regions_partition() {
        let at = Scope {
            partition: "aws-us-gov",
            region: "us-gov-west-1",
            account: "123456789012",
            prefix: "web",
        };
        let bucket = |name: &str| BucketState {
            name: name.into(),
            versioned: true,
        };
        let spec = Spec {
            source: bucket("web-source"),
            logs: bucket("web-artifacts"),
            source_key: "release.zip".into(),
        };
        let sel = selector(&at, &spec).unwrap();
        let arn = sel
            .field_selectors()
            .iter()
            .find(|f| f.field() == "resources.ARN")
            .unwrap();
        assert_eq!(arn.equals(), ["arn:aws-us-gov:s3:::web-source/release.zip"]);
    }
}
