//! CDN sub-resources against the AWS emulator (which adds the cache-policy API moto lacks).

mod support;

use ec2fleet::resources::cdn::cache_policy;

#[tokio::test]
async fn the_cache_policy_has_the_fleets_ttls_and_is_updated_in_place_with_its_etag() {
    let f = support::Fleet::new("web-cac4e01", serde_json::json!({})).await;
    let cx = f.cx();
    let made = cache_policy::create(&cx).await.expect("create");
    let got = f
        .aws
        .cloudfront
        .get_cache_policy_config()
        .id(&made.id)
        .send()
        .await
        .unwrap();
    let c = got.cache_policy_config().unwrap();
    assert_eq!(
        (c.default_ttl(), c.min_ttl(), c.max_ttl()),
        (Some(10), 0, Some(3600))
    );

    // New TTLs: the same policy is updated (adopted by name, written with its ETag), not duplicated.
    let changed = support::Fleet::in_account(
        &f.account,
        "web-cac4e01",
        serde_json::json!({"cdn": {"defaultTtl": 60, "maxTtl": 600}}),
    )
    .await;
    let again = cache_policy::create(&changed.cx()).await.expect("update");
    assert_eq!(again, made);
    let got = f
        .aws
        .cloudfront
        .get_cache_policy_config()
        .id(&made.id)
        .send()
        .await
        .unwrap();
    let c = got.cache_policy_config().unwrap();
    assert_eq!((c.default_ttl(), c.max_ttl()), (Some(60), Some(600)));

    cache_policy::delete(&cx, &made).await.unwrap();
    cache_policy::delete(&cx, &made)
        .await
        .expect("a second delete is done");
    f.assert_no_leaks();
}
