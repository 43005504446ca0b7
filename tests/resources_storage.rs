//! Bucket sub-resources against the AWS emulator: hardened settings, adoption, and deletes that empty
//! every version (forceDestroy) or refuse clearly.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::resources::storage::bucket;
use ec2fleet::resources::Reconciler;

#[tokio::test]
async fn buckets_are_private_encrypted_tls_only_and_the_source_bucket_is_versioned() {
    let f = support::Fleet::new("web-b0b0b0b", serde_json::json!({})).await;
    let (assets_cx, source_cx, s3) = (f.cx("AssetBucket"), f.cx("SourceBucket"), &f.aws.s3);
    // The inputs' default forceDestroy (true): deletes below empty the buckets.
    let assets = bucket::Bucket::assets(f.args.force_destroy)
        .apply(&assets_cx, &())
        .await
        .expect("asset bucket");
    let source = bucket::Bucket::source(f.args.force_destroy)
        .apply(&source_cx, &())
        .await
        .expect("source bucket");
    assert_eq!(
        (assets.name.as_str(), source.name.as_str()),
        ("web-b0b0b0b-assets", "web-b0b0b0b-source")
    );

    for b in [&assets, &source] {
        let block = s3
            .get_public_access_block()
            .bucket(&b.name)
            .send()
            .await
            .unwrap();
        let c = block.public_access_block_configuration().unwrap();
        assert_eq!(
            (
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets()
            ),
            (Some(true), Some(true), Some(true), Some(true))
        );
        let enc = s3
            .get_bucket_encryption()
            .bucket(&b.name)
            .send()
            .await
            .unwrap();
        assert!(enc.server_side_encryption_configuration().is_some());
        let policy = s3.get_bucket_policy().bucket(&b.name).send().await.unwrap();
        assert!(policy.policy().unwrap().contains("aws:SecureTransport"));
    }
    assert_eq!(
        bucket::Bucket::source(f.args.force_destroy)
            .read(&source_cx, &source)
            .await
            .unwrap()
            .map(|b| b.versioned),
        Some(true)
    );
    assert_eq!(
        bucket::Bucket::assets(f.args.force_destroy)
            .read(&assets_cx, &assets)
            .await
            .unwrap()
            .map(|b| b.versioned),
        Some(false)
    );
    assert_eq!(
        bucket::Bucket::source(f.args.force_destroy)
            .apply(&source_cx, &())
            .await
            .unwrap(),
        source,
        "adopted on a second run"
    );

    // Three versions of the release archive and a delete marker: forceDestroy removes them all.
    for body in ["v1", "v2", "v3"] {
        s3.put_object()
            .bucket(&source.name)
            .key("source.zip")
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .unwrap();
    }
    s3.delete_object()
        .bucket(&source.name)
        .key("source.zip")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&assets.name)
        .key("logo.png")
        .body(ByteStream::from_static(b"png"))
        .send()
        .await
        .unwrap();
    bucket::Bucket::source(f.args.force_destroy)
        .delete(&source_cx, &source)
        .await
        .expect("delete with all versions");
    bucket::Bucket::assets(f.args.force_destroy)
        .delete(&assets_cx, &assets)
        .await
        .expect("delete asset bucket");
    bucket::Bucket::source(f.args.force_destroy)
        .delete(&source_cx, &source)
        .await
        .expect("a second delete is done");
    assert_eq!(
        bucket::Bucket::source(f.args.force_destroy)
            .read(&source_cx, &source)
            .await
            .unwrap(),
        None
    );
    f.assert_no_leaks();
}

#[tokio::test]
async fn without_force_destroy_a_bucket_with_data_is_kept_and_the_error_says_why() {
    let f = support::Fleet::new("web-c0c0c0c", serde_json::json!({"forceDestroy": false})).await;
    let cx = f.cx("AssetBucket");
    let assets = bucket::Bucket::assets(f.args.force_destroy)
        .apply(&cx, &())
        .await
        .unwrap();
    f.aws
        .s3
        .put_object()
        .bucket(&assets.name)
        .key("keep.txt")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();
    let err = bucket::Bucket::assets(f.args.force_destroy)
        .delete(&cx, &assets)
        .await
        .expect_err("must not delete data without forceDestroy");
    assert!(err.to_string().contains("forceDestroy is false"), "{err}");
    assert!(
        matches!(err, ec2fleet::aws::Error::Refused { cause: Some(_), .. }),
        "a refusal that keeps AWS's answer: {err:?}"
    );
    assert!(
        bucket::Bucket::assets(f.args.force_destroy)
            .read(&cx, &assets)
            .await
            .unwrap()
            .is_some(),
        "the bucket and its data stay"
    );
    f.aws
        .s3
        .delete_object()
        .bucket(&assets.name)
        .key("keep.txt")
        .send()
        .await
        .unwrap();
    bucket::Bucket::assets(f.args.force_destroy)
        .delete(&cx, &assets)
        .await
        .unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_bucket_of_the_account_that_is_not_the_fleets_is_refused_even_where_create_answers_200() {
    // In us-east-1 CreateBucket answers 200 for a bucket the account already owns, so only the
    // tags can tell the fleet's own bucket from another one with its name.
    let f = support::Fleet::new("web-e0e0e0e", serde_json::json!({})).await;
    let cx = f.cx("AssetBucket");
    let name = "web-e0e0e0e-assets";
    f.aws.s3.create_bucket().bucket(name).send().await.unwrap();
    let err = bucket::Bucket::assets(true)
        .apply(&cx, &())
        .await
        .expect_err("not the fleet's bucket");
    assert!(
        matches!(err, ec2fleet::aws::Error::NameTaken { .. }),
        "{err:?}"
    );
    let tags = f.aws.s3.get_bucket_tagging().bucket(name).send().await;
    assert!(
        tags.is_err(),
        "the other bucket was not re-tagged: {tags:?}"
    );
    f.aws.s3.delete_bucket().bucket(name).send().await.unwrap();

    // The fleet's own bucket is adopted on a second run.
    let made = bucket::Bucket::assets(true).apply(&cx, &()).await.unwrap();
    let again = bucket::Bucket::assets(true).apply(&cx, &()).await.unwrap();
    assert_eq!(again, made);
    bucket::Bucket::assets(true)
        .delete(&cx, &made)
        .await
        .unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn emptying_a_bucket_stops_at_the_first_object_s3_will_not_delete_and_names_it() {
    let f = support::Fleet::new("web-e1e1e1e", serde_json::json!({})).await;
    let cx = f.cx("ArtifactBucket");
    let s3 = &f.aws.s3;
    // An object under a compliance-mode retention cannot be deleted; DeleteObjects still answers
    // 200, with the key among its Errors.
    let name = "web-e1e1e1e-locked";
    s3.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let until = aws_sdk_s3::primitives::DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            + 86_400,
    );
    s3.put_object()
        .bucket(name)
        .key("kept/log.gz")
        .body(ByteStream::from_static(b"log"))
        .object_lock_mode(aws_sdk_s3::types::ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .unwrap();
    let record = bucket::BucketState {
        name: name.into(),
        versioned: true,
    };
    let deleted = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        bucket::Bucket::artifacts().delete(&cx, &record),
    )
    .await
    .expect("fails at once instead of listing the same key until the deadline");
    let err = deleted.expect_err("the locked object stays");
    let text = err.to_string();
    assert!(
        text.contains("kept/log.gz") && text.contains("AccessDenied"),
        "{text}"
    );
}
