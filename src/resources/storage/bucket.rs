//! A fleet bucket: public access blocked, TLS-only policy, default encryption, tagged with the fleet's
//! identity; versioned where the pipeline needs it. Deleting it with forceDestroy empties every
//! version and delete marker first (the seed's autoDeleteObjects); without it, a non-empty bucket
//! stops the delete with a clear error instead of orphaning data silently.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::{name_taken, Ctx, TAG_FLEET};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::{AwsError, ErrorClass};
use crate::fleet::plan::Node;

/// What the fleet records about a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketState {
    /// The bucket's name.
    pub name: String,
    /// Whether versioning is on.
    pub versioned: bool,
}

/// The bucket name for `node`: `<prefix>-assets`, `<prefix>-source`, `<prefix>-artifacts`.
pub fn bucket_name(prefix: &str, node: Node) -> String {
    let kind = match node {
        Node::AssetBucket => "assets",
        Node::SourceBucket => "source",
        _ => "artifacts",
    };
    format!("{prefix}-{kind}")
}

/// The policy refusing every request not made over TLS.
pub fn tls_only_policy(bucket: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
}

/// Whether the existing bucket carries this fleet's identity (a bucket without tags does not).
async fn is_ours(cx: &Ctx<'_>, name: &str) -> Result<bool, AwsError> {
    let got = cx.aws.s3.get_bucket_tagging().bucket(name).send().await;
    let tags = match got.map_err(on("s3", "GetBucketTagging")) {
        Err(e) if e.code.as_deref() == Some("NoSuchTagSet") => return Ok(false),
        other => none_if_gone(other)?,
    };
    Ok(tags.is_some_and(|t| {
        t.tag_set()
            .iter()
            .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix)
    }))
}

/// The fleet's bucket for `node`, when it exists and carries the fleet's tag.
pub(crate) async fn discover(cx: &Ctx<'_>, node: Node) -> Result<Option<BucketState>, AwsError> {
    let name = bucket_name(cx.prefix, node);
    if !is_ours(cx, &name).await? {
        return Ok(None);
    }
    let unknown = BucketState {
        name,
        versioned: false,
    };
    read(cx, &unknown).await
}

/// Creates (or adopts) the bucket for `node` and applies every setting.
pub async fn create(cx: &Ctx<'_>, node: Node, versioned: bool) -> Result<BucketState, AwsError> {
    let name = bucket_name(cx.prefix, node);
    let s3 = &cx.aws.s3;
    let mut req = s3.create_bucket().bucket(&name);
    if cx.aws.region != "us-east-1" {
        let loc = BucketLocationConstraint::from(cx.aws.region.as_str());
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(loc)
                .build(),
        );
    }
    match req.send().await.map_err(on("s3", "CreateBucket")) {
        Ok(_) => {}
        Err(e)
            if e.code.as_deref() == Some("BucketAlreadyOwnedByYou")
                && is_ours(cx, &name).await? => {}
        Err(e)
            if matches!(
                e.code.as_deref(),
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ) =>
        {
            return Err(name_taken(
                "s3",
                "CreateBucket",
                "a bucket",
                &name,
                cx.prefix,
            ));
        }
        Err(e) => return Err(e),
    }
    let tags: Vec<Tag> = cx
        .tags(node)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(|e| AwsError::conflict("s3", "PutBucketTagging", e.to_string()))?;
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(tagging)
        .send()
        .await
        .map_err(on("s3", "PutBucketTagging"))?;
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(&name)
        .public_access_block_configuration(block)
        .send()
        .await
        .map_err(on("s3", "PutPublicAccessBlock"))?;
    let sse = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(|e| AwsError::conflict("s3", "PutBucketEncryption", e.to_string()))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(sse)
        .build();
    let enc = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| AwsError::conflict("s3", "PutBucketEncryption", e.to_string()))?;
    s3.put_bucket_encryption()
        .bucket(&name)
        .server_side_encryption_configuration(enc)
        .send()
        .await
        .map_err(on("s3", "PutBucketEncryption"))?;
    if versioned {
        let v = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        s3.put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(v)
            .send()
            .await
            .map_err(on("s3", "PutBucketVersioning"))?;
    }
    s3.put_bucket_policy()
        .bucket(&name)
        .policy(tls_only_policy(&name).to_string())
        .send()
        .await
        .map_err(on("s3", "PutBucketPolicy"))?;
    Ok(BucketState { name, versioned })
}

/// The bucket as it is now, or `None` when it is gone: one call, as asking for the versioning of a
/// missing bucket answers `NoSuchBucket`.
pub async fn read(cx: &Ctx<'_>, state: &BucketState) -> Result<Option<BucketState>, AwsError> {
    let versioning = cx
        .aws
        .s3
        .get_bucket_versioning()
        .bucket(&state.name)
        .send()
        .await
        .map_err(on("s3", "GetBucketVersioning"));
    Ok(none_if_gone(versioning)?.map(|v| BucketState {
        name: state.name.clone(),
        versioned: v.status() == Some(&BucketVersioningStatus::Enabled),
    }))
}

/// Deletes every object version and delete marker, a page (≤ 1000) at a time. Returns how many.
async fn empty(cx: &Ctx<'_>, bucket: &str) -> Result<usize, AwsError> {
    let mut removed = 0;
    loop {
        let page = cx
            .aws
            .s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .map_err(on("s3", "ListObjectVersions"))?;
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let ids: Vec<ObjectIdentifier> = versions
            .chain(markers)
            .filter_map(|(k, v)| {
                ObjectIdentifier::builder()
                    .key(k?)
                    .set_version_id(v.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(removed);
        }
        removed += ids.len();
        let batch = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| AwsError::conflict("s3", "DeleteObjects", e.to_string()))?;
        cx.aws
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(batch)
            .send()
            .await
            .map_err(on("s3", "DeleteObjects"))?;
    }
}

/// Deletes the bucket (emptying it first when forceDestroy is on); one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &BucketState) -> Result<(), AwsError> {
    if cx.args.force_destroy {
        return delete_with_objects(cx, state).await;
    }
    match cx.aws.s3.delete_bucket().bucket(&state.name).send().await.map_err(on("s3", "DeleteBucket")) {
        Err(e) if e.code.as_deref() == Some("BucketNotEmpty") => Err(AwsError::conflict(
            "s3",
            "DeleteBucket",
            format!("bucket {} still holds objects or object versions and forceDestroy is false; delete them (every version) yourself or set forceDestroy: true", state.name),
        )),
        other => done_if_gone(other),
    }
}

/// Deletes the bucket with every object version in it, whatever `forceDestroy` says: for the bucket
/// of pipeline artifacts and trail logs, which only the fleet itself writes.
pub async fn delete_with_objects(cx: &Ctx<'_>, state: &BucketState) -> Result<(), AwsError> {
    match empty(cx, &state.name).await {
        Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
        other => other.map(|_| ())?,
    }
    done_if_gone(
        cx.aws
            .s3
            .delete_bucket()
            .bucket(&state.name)
            .send()
            .await
            .map_err(on("s3", "DeleteBucket")),
    )
}
