//! The `release` input against the AWS emulator: the app's deterministic zip reaches the source key
//! once per content, an unchanged run writes nothing to S3, a changed file makes exactly one new
//! version, and delete removes every version the fleet uploaded (and nothing it did not).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::Records;
use serde_json::json;
use support::{never_cancelled, quiet};

const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";

fn write_app(dir: &Path, server: &str) {
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::write(
        dir.join("appspec.yml"),
        "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n",
    )
    .unwrap();
    let start = dir.join("scripts/start.sh");
    std::fs::write(&start, "#!/bin/sh\nexec node server.js\n").unwrap();
    std::fs::set_permissions(&start, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("server.js"), server).unwrap();
}

fn inputs(dir: &Path) -> serde_json::Value {
    json!({
        "cdn": {"enabled": false},
        "forceDestroy": false,
        "release": {SIG_KEY: ARCHIVE_SIG, "path": dir.to_str().unwrap()},
    })
}

async fn versions(f: &support::Fleet, bucket: &str, key: &str) -> Vec<String> {
    let out = f
        .aws
        .s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .unwrap();
    out.versions()
        .iter()
        .filter_map(|v| v.version_id().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_is_uploaded_once_per_content_and_delete_removes_only_the_fleets_versions() {
    let dir = tempfile::tempdir().unwrap();
    write_app(dir.path(), "require('http').createServer().listen(8080)\n");
    let f = support::Fleet::new("rel-51a7", inputs(dir.path())).await;
    let rx = never_cancelled();
    let first = support::up(&f, Records::default()).await.expect("create");
    let release = first.release.clone().expect("the release is recorded");
    assert_eq!(release.key, "source.zip");
    let zip = f.fleet(None).release_zip().unwrap();
    assert_eq!(release.sha256, zip.sha256);
    let got = f
        .aws
        .s3
        .get_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_id(), Some(release.version_id.as_str()));
    assert_eq!(got.content_type(), Some("application/zip"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        body.as_ref(),
        zip.bytes.as_slice(),
        "the object is the deterministic zip"
    );

    // The same content again (a re-run of every node): no S3 object write, the same version.
    let since = support::last_seq(&f.account);
    let again = support::up(&f, first.clone())
        .await
        .expect("unchanged update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(again.release, first.release);

    // One changed file: exactly one new version.
    write_app(
        dir.path(),
        "require('http').createServer().listen(8080) // v2\n",
    );
    let since = support::last_seq(&f.account);
    let changed = support::up(&f, again).await.expect("changed update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 1);
    let second = changed.release.clone().unwrap();
    assert_ne!(second.version_id, release.version_id);
    assert_ne!(second.sha256, release.sha256);
    let keyed = versions(&f, &release.bucket, &release.key).await;
    assert_eq!(keyed.len(), 2, "{keyed:?}");

    // A version someone else put at the key is not the fleet's to delete: with forceDestroy false
    // it alone stops the bucket's delete.
    f.aws
        .s3
        .put_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .body(ByteStream::from_static(b"by hand"))
        .send()
        .await
        .unwrap();
    let stopped = destroy(&f.fleet(None), &changed, rx.clone(), &quiet)
        .await
        .expect_err("the hand-made version stops the delete");
    assert!(
        stopped.records.release.is_none(),
        "the fleet's versions are gone"
    );
    assert!(stopped.records.source_bucket.is_some());
    let left = versions(&f, &release.bucket, &release.key).await;
    assert_eq!(left.len(), 1, "only the hand-made version stays: {left:?}");
    assert!(!left.contains(&release.version_id) && !left.contains(&second.version_id));
    f.aws
        .s3
        .delete_object()
        .bucket(&release.bucket)
        .key(&release.key)
        .version_id(&left[0])
        .send()
        .await
        .unwrap();
    destroy(&f.fleet(None), &stopped.records, rx, &quiet)
        .await
        .expect("delete");
    f.assert_no_leaks();
}
