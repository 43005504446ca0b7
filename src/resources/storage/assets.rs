//! The asset objects: the `assets` input synced into the asset bucket, as CDK's BucketDeployment
//! does, by content. The bucket's listing gives each object's ETag, which for a single-part upload
//! under SSE-S3 (the bucket's encryption) is the MD5 of its bytes, so only new or changed files are
//! uploaded and an unchanged run writes nothing. Each upload carries the fleet's name in its
//! metadata; delete removes the objects the fleet uploaded and nothing put there by others.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectIdentifier;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::super::{Ctx, Reconciler};
use super::bucket::{delete_versions, BucketState};
use crate::aws::error::{none_if_gone, on};
use crate::aws::Error;
use crate::release::bundle_zip::hex;
use crate::release::Bundle;

/// Metadata key naming the fleet that uploaded an object.
const META_FLEET: &str = "ec2fleet-fleet";
/// Metadata key holding the object's SHA-256 (so import can rebuild the content hash).
const META_SHA256: &str = "ec2fleet-sha256";
/// Uploads and metadata reads in flight at once.
const AT_ONCE: usize = 8;
/// DeleteObjects takes at most this many keys per call.
const DELETE_BATCH: usize = 1000;

/// The asset objects' reconciler.
pub struct Assets {
    /// Whether objects no longer in the archive are deleted (off by default, as the seed).
    pub prune: bool,
}

/// What the asset objects are made from.
pub struct Spec {
    /// The asset bucket.
    pub bucket: String,
    /// The archive's files by key.
    pub files: Bundle,
}

/// What the fleet records about its assets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetsState {
    /// The asset bucket.
    pub bucket: String,
    /// SHA-256 over every key and its content's SHA-256, in key order.
    pub sha256: String,
    /// The objects the archive put there: key → MD5 of the content (the object's ETag).
    pub objects: BTreeMap<String, String>,
}

/// One file's digests: (MD5, SHA-256), lowercase hex.
fn digests(bytes: &[u8]) -> (String, String) {
    (hex(&Md5::digest(bytes)), hex(&Sha256::digest(bytes)))
}

/// The content hash of a set of keys and their contents' SHA-256.
fn content_hash<'a>(entries: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut h = Sha256::new();
    for (key, sha) in entries {
        h.update(key.as_bytes());
        h.update([0]);
        h.update(sha.as_bytes());
        h.update([b'\n']);
    }
    hex(&h.finalize())
}

/// Every object in the bucket: key → ETag without its quotes; `None` when the bucket is gone.
async fn listing(cx: &Ctx<'_>, bucket: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = cx
            .aws
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await;
        let Some(page) = none_if_gone(page.map_err(on("s3", "ListObjectsV2")))? else {
            return Ok(None);
        };
        for o in page.contents() {
            if let (Some(k), Some(e)) = (o.key(), o.e_tag()) {
                out.insert(k.to_string(), e.trim_matches('"').to_string());
            }
        }
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return Ok(Some(out));
        }
    }
}

/// The object's (uploader, SHA-256) from its metadata; `None` when it is gone.
async fn head(cx: &Ctx<'_>, bucket: &str, key: &str) -> Result<Option<(String, String)>, Error> {
    let got = cx.aws.s3.head_object().bucket(bucket).key(key).send().await;
    Ok(none_if_gone(got.map_err(on("s3", "HeadObject")))?.map(|h| {
        let get = |k: &str| {
            h.metadata()
                .and_then(|m| m.get(k))
                .cloned()
                .unwrap_or_default()
        };
        (get(META_FLEET), get(META_SHA256))
    }))
}

/// Deletes `keys` from the (unversioned) bucket, a batch at a time.
async fn delete_keys(cx: &Ctx<'_>, bucket: &str, keys: Vec<String>) -> Result<(), Error> {
    let ids: Vec<ObjectIdentifier> = keys
        .into_iter()
        .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
        .collect();
    for batch in ids.chunks(DELETE_BATCH) {
        delete_versions(cx, bucket, batch.to_vec()).await?;
    }
    Ok(())
}

impl Assets {
    async fn upload(
        cx: &Ctx<'_>,
        bucket: &str,
        key: &str,
        bytes: &[u8],
        sha: &str,
    ) -> Result<(), Error> {
        let content_type = mime_guess::from_path(key).first_or_octet_stream();
        cx.aws
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type.essence_str())
            .metadata(META_FLEET, cx.prefix)
            .metadata(META_SHA256, sha)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(on("s3", "PutObject"))?;
        Ok(())
    }
}

impl Reconciler for Assets {
    type Spec = Spec;
    type Record = AssetsState;
    type Within = BucketState;

    /// Uploads the files whose content differs from the object at their key; with `prune`,
    /// deletes the objects the archive no longer has.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<AssetsState, Error> {
        let there = listing(cx, &spec.bucket).await?.ok_or(Error::Failed {
            service: "s3",
            operation: "ListObjectsV2",
            reason: format!("the asset bucket {} is gone", spec.bucket),
        })?;
        let files: Vec<(&String, &[u8], (String, String))> = spec
            .files
            .iter()
            .map(|(k, f)| (k, f.bytes.as_slice(), digests(&f.bytes)))
            .collect();
        // Made before streaming: a stream of borrowing closures would not be Send.
        let uploads: Vec<_> = files
            .iter()
            .filter(|(k, _, (md5, _))| there.get(*k) != Some(md5))
            .map(|(k, bytes, (_, sha))| Self::upload(cx, &spec.bucket, k, bytes, sha))
            .collect();
        futures::stream::iter(uploads)
            .buffer_unordered(AT_ONCE)
            .try_collect::<Vec<()>>()
            .await?;
        if self.prune {
            let gone = there
                .into_keys()
                .filter(|k| !spec.files.contains_key(k))
                .collect();
            delete_keys(cx, &spec.bucket, gone).await?;
        }
        Ok(AssetsState {
            bucket: spec.bucket.clone(),
            sha256: content_hash(files.iter().map(|(k, _, (_, sha))| (*k, sha))),
            objects: files
                .iter()
                .map(|(k, _, (md5, _))| ((*k).clone(), md5.clone()))
                .collect(),
        })
    }

    /// The recorded objects still in the bucket unchanged; the rest dropped from the record, so a
    /// changed or deleted asset shows as drift and the next update puts it back.
    async fn read(&self, cx: &Ctx<'_>, r: &AssetsState) -> Result<Option<AssetsState>, Error> {
        let Some(there) = listing(cx, &r.bucket).await? else {
            return Ok(None);
        };
        let objects: BTreeMap<String, String> = r
            .objects
            .iter()
            .filter(|(k, md5)| there.get(*k) == Some(md5))
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect();
        if objects == r.objects {
            return Ok(Some(r.clone()));
        }
        Ok(Some(AssetsState {
            sha256: String::new(),
            objects,
            ..r.clone()
        }))
    }

    /// Deletes the objects the fleet uploaded: those recorded and unchanged at once, any other
    /// after its metadata names this fleet (uploads of earlier archives left by `prune` off).
    async fn delete(&self, cx: &Ctx<'_>, r: &AssetsState) -> Result<(), Error> {
        let Some(there) = listing(cx, &r.bucket).await? else {
            return Ok(());
        };
        let (mut ours, others): (Vec<_>, Vec<_>) = there
            .into_iter()
            .partition(|(k, etag)| r.objects.get(k) == Some(etag));
        let heads: Vec<_> = futures::stream::iter(others)
            .map(|(k, _)| async move { Ok::<_, Error>((head(cx, &r.bucket, &k).await?, k)) })
            .buffered(AT_ONCE)
            .try_collect()
            .await?;
        ours.extend(
            heads
                .into_iter()
                .filter(|(h, _)| h.as_ref().is_some_and(|(fleet, _)| fleet == cx.prefix))
                .map(|(_, k)| (k, String::new())),
        );
        delete_keys(cx, &r.bucket, ours.into_iter().map(|(k, _)| k).collect()).await
    }

    /// The objects in the asset bucket this fleet uploaded, from their metadata.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        bucket: &BucketState,
    ) -> Result<Option<AssetsState>, Error> {
        let Some(there) = listing(cx, &bucket.name).await? else {
            return Ok(None);
        };
        let heads: Vec<_> =
            futures::stream::iter(there)
                .map(|(k, etag)| async move {
                    Ok::<_, Error>((head(cx, &bucket.name, &k).await?, k, etag))
                })
                .buffered(AT_ONCE)
                .try_collect()
                .await?;
        let ours: Vec<(String, String, String)> = heads
            .into_iter()
            .filter_map(|(h, k, etag)| {
                h.filter(|(f, _)| f == cx.prefix)
                    .map(|(_, sha)| (k, etag, sha))
            })
            .collect();
        if ours.is_empty() {
            return Ok(None);
        }
        Ok(Some(AssetsState {
            bucket: bucket.name.clone(),
            sha256: content_hash(ours.iter().map(|(k, _, sha)| (k, sha))),
            objects: ours.into_iter().map(|(k, etag, _)| (k, etag)).collect(),
        }))
    }
}
