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

use super::super::{Ctx, Reconciler, TAG_FLEET};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::{Error, ErrorClass};

/// One of the fleet's buckets: all share the hardened recipe and differ only in name, versioning, and
/// whether delete may throw their contents away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Name suffix: the bucket is `<prefix>-<suffix>`.
    pub suffix: &'static str,
    /// Whether versioning is turned on (the pipeline's source needs object versions).
    pub versioned: bool,
    /// Whether delete empties it of every object version first; otherwise a bucket still holding data
    /// stops the delete.
    pub empty_on_delete: bool,
}

impl Bucket {
    /// The asset bucket, `<prefix>-assets`, emptied on delete when `force_destroy` says so.
    pub fn assets(force_destroy: bool) -> Self {
        Self {
            suffix: "assets",
            versioned: false,
            empty_on_delete: force_destroy,
        }
    }

    /// The versioned source bucket releases are uploaded to, `<prefix>-source`, emptied on delete
    /// when `force_destroy` says so.
    pub fn source(force_destroy: bool) -> Self {
        Self {
            suffix: "source",
            versioned: true,
            empty_on_delete: force_destroy,
        }
    }

    /// The bucket of pipeline artifacts and trail logs, `<prefix>-artifacts`: only the fleet writes
    /// to it, so it is always emptied and never keeps a delete waiting.
    pub fn artifacts() -> Self {
        Self {
            suffix: "artifacts",
            versioned: false,
            empty_on_delete: true,
        }
    }
}

/// What the fleet records about a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketState {
    /// The bucket's name.
    pub name: String,
    /// Whether versioning is on.
    pub versioned: bool,
}

/// The bucket name for a suffix: `<prefix>-assets`, `<prefix>-source`, `<prefix>-artifacts`.
pub fn bucket_name(prefix: &str, suffix: &str) -> String {
    format!("{prefix}-{suffix}")
}

/// The policy refusing every request not made over TLS, for the bucket `bucket`: its ARN
/// (`arn:PARTITION:s3:::NAME`, so the policy is in the region's partition), or its name alone,
/// taken to be in the `aws` partition. Bucket names have no `:`, so the two never mix up.
pub fn tls_only_policy(bucket: &str) -> serde_json::Value {
    let arn = if bucket.starts_with("arn:") {
        bucket.to_string()
    } else {
        format!("arn:aws:s3:::{bucket}")
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn.clone(), format!("{arn}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
}

/// Whose bucket a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// No bucket we can see has it (none, or another account's, which refuses us its tags).
    Nobody,
    /// It carries this fleet's identity.
    ThisFleet,
    /// It exists without this fleet's identity (untagged, or another fleet's).
    Someone,
}

/// Whose the bucket `name` is, from its tags.
async fn owner(cx: &Ctx<'_>, name: &str) -> Result<Owner, Error> {
    let got = cx.aws.s3.get_bucket_tagging().bucket(name).send().await;
    let tags = match got.map_err(on("s3", "GetBucketTagging")) {
        Ok(tags) => tags,
        Err(e) if e.code() == Some("NoSuchTagSet") => return Ok(Owner::Someone),
        Err(e) if matches!(e.code(), Some("AccessDenied")) => return Ok(Owner::Nobody),
        Err(e) if e.class() == ErrorClass::NotFound => return Ok(Owner::Nobody),
        Err(e) => return Err(e),
    };
    let ours = tags
        .tag_set()
        .iter()
        .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix);
    Ok(if ours {
        Owner::ThisFleet
    } else {
        Owner::Someone
    })
}

/// Makes the bucket `name` unless this fleet has it already. Ownership is checked by tag before
/// CreateBucket: in us-east-1, CreateBucket answers 200 for a bucket the account already owns, so
/// its answer cannot tell a new bucket from someone else's.
async fn create(cx: &Ctx<'_>, name: &str) -> Result<(), Error> {
    match owner(cx, name).await? {
        Owner::ThisFleet => return Ok(()),
        Owner::Someone => return Err(cx.name_taken("s3", "a bucket", name)),
        Owner::Nobody => {}
    }
    let mut req = cx.aws.s3.create_bucket().bucket(name);
    if cx.aws.region != "us-east-1" {
        let loc = BucketLocationConstraint::from(cx.aws.region.as_str());
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(loc)
                .build(),
        );
    }
    match req.send().await.map_err(on("s3", "CreateBucket")) {
        Ok(_) => Ok(()),
        // Made by a run whose answer was lost, between the look-up and now.
        Err(e)
            if e.code() == Some("BucketAlreadyOwnedByYou")
                && owner(cx, name).await? == Owner::ThisFleet =>
        {
            Ok(())
        }
        Err(e)
            if matches!(
                e.code(),
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ) =>
        {
            Err(cx.name_taken("s3", "a bucket", name))
        }
        Err(e) => Err(e),
    }
}

impl Reconciler for Bucket {
    type Spec = ();
    type Record = BucketState;
    type Within = ();

    /// Creates (or adopts) the bucket and applies every setting, the tags included (buckets are
    /// re-tagged here on every update, not by [`Reconciler::tag_targets`]).
    async fn apply(&self, cx: &Ctx<'_>, _spec: &()) -> Result<BucketState, Error> {
        let name = bucket_name(cx.prefix, self.suffix);
        let s3 = &cx.aws.s3;
        create(cx, &name).await?;
        let tags: Vec<Tag> = cx
            .tags()
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let tagging = Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(Error::build("s3", "PutBucketTagging"))?;
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
            .map_err(Error::build("s3", "PutBucketEncryption"))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(sse)
            .build();
        let enc = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(Error::build("s3", "PutBucketEncryption"))?;
        s3.put_bucket_encryption()
            .bucket(&name)
            .server_side_encryption_configuration(enc)
            .send()
            .await
            .map_err(on("s3", "PutBucketEncryption"))?;
        if self.versioned {
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
        Ok(BucketState {
            name,
            versioned: self.versioned,
        })
    }

    /// The bucket as it is now, or `None` when it is gone: one call, as asking for the versioning of
    /// a missing bucket answers `NoSuchBucket`.
    async fn read(&self, cx: &Ctx<'_>, record: &BucketState) -> Result<Option<BucketState>, Error> {
        let versioning = cx
            .aws
            .s3
            .get_bucket_versioning()
            .bucket(&record.name)
            .send()
            .await
            .map_err(on("s3", "GetBucketVersioning"));
        Ok(none_if_gone(versioning)?.map(|v| BucketState {
            name: record.name.clone(),
            versioned: v.status() == Some(&BucketVersioningStatus::Enabled),
        }))
    }

    /// Deletes the bucket, emptying it first when it is to be emptied; otherwise a bucket still
    /// holding data is refused, never orphaned silently. One already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, record: &BucketState) -> Result<(), Error> {
        if self.empty_on_delete {
            return delete_with_objects(cx, record).await;
        }
        let deleted = cx
            .aws
            .s3
            .delete_bucket()
            .bucket(&record.name)
            .send()
            .await
            .map_err(on("s3", "DeleteBucket"));
        match deleted {
            Err(Error::Aws(call)) if call.code.as_deref() == Some("BucketNotEmpty") => {
                Err(Error::Refused {
                    service: "s3",
                    operation: "DeleteBucket",
                    reason: format!("bucket {} still holds objects or object versions and forceDestroy is false; delete them (every version) yourself or set forceDestroy: true", record.name),
                    cause: Some(call),
                })
            }
            other => done_if_gone(other),
        }
    }

    /// The fleet's bucket, when it exists and carries the fleet's tag.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<BucketState>, Error> {
        let name = bucket_name(cx.prefix, self.suffix);
        if owner(cx, &name).await? != Owner::ThisFleet {
            return Ok(None);
        }
        let unknown = BucketState {
            name,
            versioned: false,
        };
        self.read(cx, &unknown).await
    }
}

/// Deletes every object version and delete marker, a page (≤ 1000) at a time. Returns how many.
async fn empty(cx: &Ctx<'_>, bucket: &str) -> Result<usize, Error> {
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
        delete_versions(cx, bucket, ids).await?;
    }
}

/// Deletes up to 1000 object versions in one call. DeleteObjects answers 200 even when keys fail,
/// so the first failure is turned into an error (listing again would find them forever).
pub async fn delete_versions(
    cx: &Ctx<'_>,
    bucket: &str,
    ids: Vec<ObjectIdentifier>,
) -> Result<(), Error> {
    let batch = Delete::builder()
        .set_objects(Some(ids))
        .quiet(true)
        .build()
        .map_err(Error::build("s3", "DeleteObjects"))?;
    let out = cx
        .aws
        .s3
        .delete_objects()
        .bucket(bucket)
        .delete(batch)
        .send()
        .await
        .map_err(on("s3", "DeleteObjects"))?;
    match out.errors().first() {
        None => Ok(()),
        Some(failed) => Err(Error::Failed {
            service: "s3",
            operation: "DeleteObjects",
            reason: format!(
                "could not delete {} (version {}) from bucket {bucket}: {} {}",
                failed.key().unwrap_or("?"),
                failed.version_id().unwrap_or("null"),
                failed.code().unwrap_or("no code"),
                failed.message().unwrap_or("no message"),
            ),
        }),
    }
}

/// Deletes the bucket with every object version in it; one already gone is done.
async fn delete_with_objects(cx: &Ctx<'_>, state: &BucketState) -> Result<(), Error> {
    match empty(cx, &state.name).await {
        Err(e) if e.class() == ErrorClass::NotFound => return Ok(()),
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
