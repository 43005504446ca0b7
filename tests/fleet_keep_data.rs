//! `forceDestroy: false` keeps the user's data: a destroy stops at a source bucket holding releases
//! and says why, yet the fleet's own artifacts bucket (pipeline artifacts, trail logs) never blocks it.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::fleet::apply::apply;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::Records;
use serde_json::json;
use support::{never_cancelled, quiet};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_force_destroy_releases_stop_the_delete_and_the_fleets_own_logs_do_not() {
    let inputs = json!({"forceDestroy": false, "cdn": {"enabled": false}});
    let f = support::Fleet::new("keep-d47a", inputs).await;
    let cx = f.fleet(None);
    let rx = never_cancelled();
    let made = apply(&cx, Records::default(), false, rx.clone(), &quiet)
        .await
        .expect("create");
    let put = |bucket: String, key: &'static str| {
        let s3 = f.aws.s3.clone();
        async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from_static(b"data"))
                .send()
                .await
                .unwrap();
        }
    };
    let source = made.source_bucket.as_ref().unwrap().name.clone();
    let artifacts = made.artifact_bucket.as_ref().unwrap().name.clone();
    put(artifacts.clone(), "AWSLogs/trail-log.json.gz").await;
    put(source.clone(), "source/source.zip").await;

    let stopped = destroy(&cx, &made, rx.clone(), &quiet)
        .await
        .expect_err("the release in the source bucket stops the delete");
    let why: Vec<String> = stopped
        .failed
        .iter()
        .map(|(n, e)| format!("{n}: {e}"))
        .collect();
    assert!(
        why.iter().any(|w| w.starts_with("SourceBucket:")
            && w.contains(&source)
            && w.contains("forceDestroy is false")
            && w.contains("every version")),
        "{why:?}"
    );
    assert!(
        !why.iter().any(|w| w.starts_with("ArtifactBucket")),
        "the fleet's own bucket never blocks: {why:?}"
    );
    assert!(stopped.records.source_bucket.is_some(), "the data stays");

    // The source bucket is versioned: the release is gone only with every version of it.
    let versions = f
        .aws
        .s3
        .list_object_versions()
        .bucket(&source)
        .send()
        .await
        .unwrap();
    for v in versions.versions() {
        f.aws
            .s3
            .delete_object()
            .bucket(&source)
            .key(v.key().unwrap())
            .version_id(v.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    destroy(&cx, &stopped.records, rx, &quiet)
        .await
        .expect("with the release gone, the delete finishes");
    f.assert_no_leaks();
}
