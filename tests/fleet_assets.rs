//! The `assets` input against the AWS emulator: files reach the asset bucket with content types
//! from their extensions, an unchanged run writes nothing, one changed file uploads one object,
//! prune removes only what left the archive, and delete removes every object the fleet uploaded
//! (those of earlier archives included) and nothing it did not.

mod support;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use ec2fleet::fleet::destroy::destroy;
use ec2fleet::fleet::{FleetOutputs, Records};
use serde_json::json;
use support::{never_cancelled, quiet};

const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";

fn inputs(dir: &Path, prune: bool) -> serde_json::Value {
    json!({
        "cdn": {"enabled": false},
        "forceDestroy": false,
        "pruneAssets": prune,
        "assets": {SIG_KEY: ARCHIVE_SIG, "path": dir.to_str().unwrap()},
    })
}

/// An object someone else puts in the bucket.
async fn put_by_hand(f: &support::Fleet, bucket: &str) {
    let body = ByteStream::from_static(b"x");
    let put = f
        .aws
        .s3
        .put_object()
        .bucket(bucket)
        .key("by-hand.txt")
        .body(body);
    put.send().await.unwrap();
}

async fn keys(f: &support::Fleet, bucket: &str) -> Vec<String> {
    let out = f
        .aws
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn assets_sync_by_content_prune_only_what_left_and_delete_removes_only_the_fleets_objects() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("css")).unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>shop</h1>\n").unwrap();
    std::fs::write(dir.path().join("css/site.css"), "h1 { color: teal }\n").unwrap();
    std::fs::write(dir.path().join("logo.png"), [0x89, b'P', b'N', b'G']).unwrap();
    std::fs::write(dir.path().join("old.txt"), "to be pruned\n").unwrap();
    std::fs::write(
        dir.path().join("older.txt"),
        "left by a run without prune\n",
    )
    .unwrap();
    let mut f = support::Fleet::new("ast-6c1e", inputs(dir.path(), false)).await;
    let first = support::up(&f, Records::default()).await.expect("create");
    let assets = first.assets.clone().expect("the assets are recorded");
    let bucket = assets.bucket.clone();
    assert_eq!(
        keys(&f, &bucket).await,
        [
            "css/site.css",
            "index.html",
            "logo.png",
            "old.txt",
            "older.txt"
        ]
    );
    for (key, want) in [
        ("index.html", "text/html"),
        ("css/site.css", "text/css"),
        ("logo.png", "image/png"),
    ] {
        let got = f
            .aws
            .s3
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_type(), Some(want), "{key}");
    }
    let out = FleetOutputs::of(&f.args, &f.prefix, &first);
    assert_eq!((out.asset_count, out.assets_hash.len()), (5, 64));

    // Unchanged: no S3 write at all.
    let since = support::last_seq(&f.account);
    let again = support::up(&f, first.clone())
        .await
        .expect("unchanged update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 0);
    assert_eq!(
        support::count_since(&f.account, since, "s3:DeleteObjects"),
        0
    );
    assert_eq!(again.assets, first.assets);

    // One changed file: one upload, and the content hash moves.
    std::fs::write(dir.path().join("css/site.css"), "h1 { color: navy }\n").unwrap();
    let since = support::last_seq(&f.account);
    let changed = support::up(&f, again).await.expect("changed update");
    assert_eq!(support::count_since(&f.account, since, "s3:PutObject"), 1);
    assert_ne!(changed.assets.as_ref().unwrap().sha256, assets.sha256);

    // A hand-made object, and a file gone from the archive, with prune on: only those two leave.
    put_by_hand(&f, &bucket).await;
    std::fs::remove_file(dir.path().join("old.txt")).unwrap();
    f.args = ec2fleet::fleet::parse(inputs(dir.path(), true)).unwrap();
    let pruned = support::up(&f, changed).await.expect("pruning update");
    assert_eq!(
        keys(&f, &bucket).await,
        ["css/site.css", "index.html", "logo.png", "older.txt"]
    );

    // Prune off: a file gone from the archive stays, though no longer recorded.
    std::fs::remove_file(dir.path().join("older.txt")).unwrap();
    f.args = ec2fleet::fleet::parse(inputs(dir.path(), false)).unwrap();
    let kept = support::up(&f, pruned).await.expect("update without prune");
    assert!(keys(&f, &bucket).await.contains(&"older.txt".to_string()));
    assert!(!kept
        .assets
        .as_ref()
        .unwrap()
        .objects
        .contains_key("older.txt"));

    // Someone else's object stops the bucket's delete (forceDestroy false); every object the
    // fleet uploaded is gone first, the unrecorded older.txt included.
    put_by_hand(&f, &bucket).await;
    let rx = never_cancelled();
    let stopped = destroy(&f.fleet(None), &kept, rx.clone(), &quiet)
        .await
        .expect_err("the hand-made object stops the delete");
    assert!(stopped.records.assets.is_none());
    assert_eq!(keys(&f, &bucket).await, ["by-hand.txt"]);
    f.aws
        .s3
        .delete_object()
        .bucket(&bucket)
        .key("by-hand.txt")
        .send()
        .await
        .unwrap();
    destroy(&f.fleet(None), &stopped.records, rx, &quiet)
        .await
        .expect("delete");
    f.assert_no_leaks();
}
