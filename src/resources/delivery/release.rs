//! The release object: the `release` input's deterministic zip at the source key of the versioned
//! source bucket, where its upload starts the pipeline. It is uploaded only when its SHA-256 differs
//! from the current object's (kept in the object's metadata), so an unchanged app is never released
//! again. Every version the fleet uploaded carries the fleet's name in its metadata, and delete
//! removes exactly those versions.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectIdentifier;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::super::storage::bucket::{delete_versions, BucketState};
use super::super::{Ctx, Reconciler};
use super::pipeline::pipeline_name;
use super::pipeline_execution;
use crate::aws::error::{none_if_gone, on};
use crate::aws::Error;
use crate::release::bundle_zip::Zipped;

/// Metadata key holding the release's SHA-256 (S3 keeps user metadata names lowercase).
pub const META_SHA256: &str = "ec2fleet-sha256";
/// Metadata key holding the name prefix of the fleet that uploaded the version.
pub const META_FLEET: &str = "ec2fleet-fleet";

/// How many versions' metadata is read at once on delete.
const HEADS_AT_ONCE: usize = 8;
/// DeleteObjects takes at most this many versions per call.
const DELETE_BATCH: usize = 1000;

/// The release object's reconciler, for the fleet's source key.
pub struct Release {
    /// The key releases are uploaded to (the pipeline's source).
    pub key: String,
}

/// What the release object is made from.
pub struct Spec {
    /// The source bucket.
    pub bucket: String,
    /// The release's zip.
    pub zip: Zipped,
}

/// What the fleet records about its release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseState {
    /// The source bucket.
    pub bucket: String,
    /// The source key.
    pub key: String,
    /// The S3 version ID of the release's object.
    pub version_id: String,
    /// SHA-256 of the release's zip (empty when the current object is not one the fleet uploaded).
    pub sha256: String,
    /// The CodeDeploy deployment of this version (empty until one was followed).
    #[serde(default)]
    pub deployment_id: String,
    /// That deployment's status when last seen (empty until one was followed).
    #[serde(default)]
    pub deployment_status: String,
}

/// The object now at the key, as `(version ID, its metadata's SHA-256, whether this fleet uploaded
/// it)`, or `None` when there is none.
async fn current(
    cx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<(String, String, bool)>, Error> {
    let got = cx
        .aws
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await;
    let Some(head) = none_if_gone(got.map_err(on("s3", "HeadObject")))? else {
        return Ok(None);
    };
    let meta = head.metadata();
    let get = |k: &str| meta.and_then(|m| m.get(k)).cloned().unwrap_or_default();
    let version = head
        .version_id()
        .ok_or(Error::missing("s3", "HeadObject", "the version ID"))?;
    Ok(Some((
        version.to_string(),
        get(META_SHA256),
        get(META_FLEET) == cx.prefix,
    )))
}

impl Release {
    fn state(&self, bucket: &str, version_id: String, sha256: String) -> ReleaseState {
        ReleaseState {
            bucket: bucket.to_string(),
            key: self.key.clone(),
            version_id,
            sha256,
            deployment_id: String::new(),
            deployment_status: String::new(),
        }
    }

    /// The versions of the key, every page of them.
    async fn versions(&self, cx: &Ctx<'_>, bucket: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut markers: (Option<String>, Option<String>) = (None, None);
        loop {
            let page = cx
                .aws
                .s3
                .list_object_versions()
                .bucket(bucket)
                .prefix(&self.key)
                .set_key_marker(markers.0.take())
                .set_version_id_marker(markers.1.take())
                .send()
                .await
                .map_err(on("s3", "ListObjectVersions"))?;
            out.extend(
                page.versions()
                    .iter()
                    .filter(|v| v.key() == Some(self.key.as_str()))
                    .filter_map(|v| v.version_id().map(str::to_string)),
            );
            if page.is_truncated() != Some(true) {
                return Ok(out);
            }
            markers = (
                page.next_key_marker().map(str::to_string),
                page.next_version_id_marker().map(str::to_string),
            );
        }
    }
}

impl Reconciler for Release {
    type Spec = Spec;
    type Record = ReleaseState;
    type Within = BucketState;

    /// Uploads the zip unless the current object is this fleet's upload of the same content.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<ReleaseState, Error> {
        let now = current(cx, &spec.bucket, &self.key, None).await?;
        if let Some((version, sha256, true)) = now {
            if sha256 == spec.zip.sha256 {
                return Ok(self.state(&spec.bucket, version, sha256));
            }
        }
        let put = cx
            .aws
            .s3
            .put_object()
            .bucket(&spec.bucket)
            .key(&self.key)
            .content_type("application/zip")
            .metadata(META_SHA256, &spec.zip.sha256)
            .metadata(META_FLEET, cx.prefix)
            .body(ByteStream::from(spec.zip.bytes.clone()))
            .send()
            .await
            .map_err(on("s3", "PutObject"))?;
        let version = put.version_id().ok_or(Error::Failed {
            service: "s3",
            operation: "PutObject",
            reason: format!("bucket {} answered without a version ID: the pipeline's source needs versioning on", spec.bucket),
        })?;
        Ok(self.state(&spec.bucket, version.to_string(), spec.zip.sha256.clone()))
    }

    /// The object now at the key; `None` when there is none.
    async fn read(&self, cx: &Ctx<'_>, r: &ReleaseState) -> Result<Option<ReleaseState>, Error> {
        let now = current(cx, &r.bucket, &r.key, None).await?;
        Ok(now.map(|(version, sha256, ours)| {
            let sha256 = if ours { sha256 } else { String::new() };
            if version == r.version_id {
                return ReleaseState {
                    sha256,
                    ..r.clone()
                };
            }
            // Another version is there: the recorded deployment is not of it.
            self.state(&r.bucket, version, sha256)
        }))
    }

    /// Deletes every version of the key this fleet uploaded; versions others put there stay.
    async fn delete(&self, cx: &Ctx<'_>, r: &ReleaseState) -> Result<(), Error> {
        let versions = match self.versions(cx, &r.bucket).await {
            Err(e) if e.class() == crate::aws::ErrorClass::NotFound => return Ok(()),
            other => other?,
        };
        let heads: Vec<_> = futures::stream::iter(versions)
            .map(|v| async move { current(cx, &r.bucket, &r.key, Some(&v)).await })
            .buffered(HEADS_AT_ONCE)
            .try_collect()
            .await?;
        let ours: Vec<ObjectIdentifier> = heads
            .into_iter()
            .flatten()
            .filter(|(_, _, ours)| *ours)
            .filter_map(|(v, _, _)| {
                ObjectIdentifier::builder()
                    .key(&r.key)
                    .version_id(v)
                    .build()
                    .ok()
            })
            .collect();
        for batch in ours.chunks(DELETE_BATCH) {
            delete_versions(cx, &r.bucket, batch.to_vec()).await?;
        }
        Ok(())
    }

    /// The fleet's release, when the object at the key is one it uploaded, with the deployment that
    /// took it when the pipeline still lists it.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        bucket: &BucketState,
    ) -> Result<Option<ReleaseState>, Error> {
        let now = current(cx, &bucket.name, &self.key, None).await?;
        let Some((version, sha256, true)) = now else {
            return Ok(None);
        };
        let mut state = self.state(&bucket.name, version, sha256);
        let pipeline = pipeline_name(cx.prefix);
        let found = pipeline_execution::deployment_of_version(cx, &pipeline, &state.version_id);
        if let Some((id, status)) = none_if_gone(found.await)?.flatten() {
            state.deployment_id = id;
            state.deployment_status = status;
        }
        Ok(Some(state))
    }
}
