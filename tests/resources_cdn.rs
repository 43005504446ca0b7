//! CDN sub-resources against the AWS emulator (which adds the cache-policy API moto lacks).

mod support;

use aws_sdk_cloudfront::types::{
    HttpVersion, Method, MinimumProtocolVersion, OriginProtocolPolicy, SslSupportMethod,
    ViewerProtocolPolicy,
};
use ec2fleet::resources::cdn::cache_policy::{self, CachePolicy};
use ec2fleet::resources::cdn::distribution::{self, Distribution};
use ec2fleet::resources::lb::listeners;
use ec2fleet::resources::{Reconciler, TAG_FLEET};
use support::stacks::{self, Origin};

/// The cache policy's spec: the fleet's CDN TTLs and cache key.
fn ttls(f: &support::Fleet) -> cache_policy::Spec {
    let cdn = &f.args.cdn;
    cache_policy::Spec {
        default_ttl: cdn.default_ttl,
        min_ttl: cdn.min_ttl,
        max_ttl: cdn.max_ttl,
        query_strings: cdn.cache_query_strings,
        cookies: cdn.forward_cookies,
    }
}

/// The policy's (query string, cookie, header) behaviours in its cache key.
fn key_of(c: &aws_sdk_cloudfront::types::CachePolicyConfig) -> (String, String, String) {
    let k = c.parameters_in_cache_key_and_forwarded_to_origin().unwrap();
    (
        k.query_strings_config()
            .unwrap()
            .query_string_behavior()
            .as_str()
            .to_string(),
        k.cookies_config()
            .unwrap()
            .cookie_behavior()
            .as_str()
            .to_string(),
        k.headers_config()
            .unwrap()
            .header_behavior()
            .as_str()
            .to_string(),
    )
}

#[tokio::test]
async fn the_cache_policy_has_the_fleets_ttls_and_is_updated_in_place_with_its_etag() {
    let f = support::Fleet::new("web-cac4e01", serde_json::json!({})).await;
    let cx = f.cx("CachePolicy");
    let made = CachePolicy.apply(&cx, &ttls(&f)).await.expect("create");
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
    // What the origin sees is what the key holds: `?q=a` and `?q=b` are cached apart, and no
    // cookie reaches the app, so no page made for one user's cookies is served to another.
    let none = || "none".to_string();
    assert_eq!(key_of(c), ("all".to_string(), none(), none()));

    // New TTLs: the same policy is updated (adopted by name, written with its ETag), not duplicated.
    let changed = support::Fleet::in_account(
        &f.account,
        "web-cac4e01",
        serde_json::json!({"cdn": {"defaultTtl": 60, "maxTtl": 600, "cacheQueryStrings": false, "forwardCookies": true}}),
    )
    .await;
    let again = CachePolicy
        .apply(&changed.cx("CachePolicy"), &ttls(&changed))
        .await
        .expect("update");
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
    assert_eq!(
        key_of(c),
        (none(), "all".to_string(), none()),
        "cookies in the key"
    );
    let read = cache_policy::settings(&cx, &made).await.unwrap();
    assert_eq!(read, Some(ttls(&changed)), "read back as set");

    CachePolicy.delete(&cx, &made).await.unwrap();
    CachePolicy
        .delete(&cx, &made)
        .await
        .expect("a second delete is done");
    f.assert_no_leaks();
}

/// The CloudFront operations the emulator served for `account`, in order.
fn cloudfront_calls(account: &str) -> Vec<String> {
    support::emulator()
        .calls(account)
        .iter()
        .filter(|c| c["service"] == "cloudfront")
        .filter_map(|c| c["operation"].as_str().map(str::to_string))
        .collect()
}

async fn distribution_count(f: &support::Fleet) -> i32 {
    let all = f.aws.cloudfront.list_distributions().send().await.unwrap();
    all.distribution_list().map_or(0, |l| l.quantity())
}

/// Changes the distribution's comment behind the fleet's back, so it is no longer found by comment.
async fn edit_comment(f: &support::Fleet, id: &str) {
    let cf = &f.aws.cloudfront;
    let got = cf.get_distribution_config().id(id).send().await.unwrap();
    let mut edited = got.distribution_config().unwrap().clone();
    edited.comment = "edited by hand".into();
    cf.update_distribution()
        .id(id)
        .if_match(got.e_tag().unwrap())
        .distribution_config(edited)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_distribution_reaches_the_alb_over_http_with_the_secret_header_and_sends_viewers_to_https(
) {
    let f = support::Fleet::new("web-d15d15d", serde_json::json!({})).await;
    let cx = f.cx("Distribution");
    let o = Origin::create(&f).await;
    let made = Distribution
        .apply(&cx, &o.spec(&f, "s3cr3t"))
        .await
        .expect("create");
    let ops = cloudfront_calls(&f.account);
    assert_eq!(
        ops.last().map(String::as_str),
        Some("CreateDistributionWithTags"),
        "a new distribution's record is CreateDistribution's answer, not read back: {ops:?}"
    );
    distribution::wait_deployed(&cx, &made)
        .await
        .expect("deploys");
    let cf = &f.aws.cloudfront;
    let got = cf.get_distribution().id(&made.id).send().await.unwrap();
    let d = got.distribution().unwrap();
    assert_eq!(
        (d.status(), d.arn(), d.domain_name()),
        ("Deployed", made.arn.as_str(), made.domain_name.as_str()),
        "deployed once waited for"
    );
    let c = d.distribution_config().unwrap();
    assert_eq!(
        (c.caller_reference(), c.comment(), c.enabled()),
        ("web-d15d15d", "ec2fleet web-d15d15d", true)
    );
    let origins = c.origins().unwrap().items();
    assert_eq!(origins.len(), 1);
    assert_eq!(
        (origins[0].id(), origins[0].domain_name()),
        ("alb", o.lb.dns_name.as_str())
    );
    let custom = origins[0].custom_origin_config().unwrap();
    assert_eq!(
        (custom.origin_protocol_policy(), custom.http_port()),
        (&OriginProtocolPolicy::HttpOnly, 80)
    );
    let headers: Vec<(&str, &str)> = origins[0]
        .custom_headers()
        .unwrap()
        .items()
        .iter()
        .map(|h| (h.header_name(), h.header_value()))
        .collect();
    assert_eq!(headers, [(listeners::ORIGIN_HEADER, "s3cr3t")]);

    let b = c.default_cache_behavior().unwrap();
    assert_eq!(
        (b.target_origin_id(), b.viewer_protocol_policy()),
        ("alb", &ViewerProtocolPolicy::RedirectToHttps)
    );
    // No origin request policy: the origin gets exactly the cache key, nothing the key lacks.
    assert_eq!(
        (b.cache_policy_id(), b.origin_request_policy_id()),
        (Some(o.policy.id.as_str()), None)
    );
    assert_eq!(b.compress(), Some(true));
    let methods = b.allowed_methods().unwrap();
    let mut allowed: Vec<&str> = methods.items().iter().map(|m| m.as_str()).collect();
    allowed.sort_unstable();
    assert_eq!(
        allowed,
        ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    );
    assert_eq!(
        methods.cached_methods().unwrap().items(),
        [Method::Get, Method::Head]
    );
    let cert = c.viewer_certificate().unwrap();
    assert_eq!(cert.cloud_front_default_certificate(), Some(true));
    assert_eq!(cert.acm_certificate_arn().filter(|a| !a.is_empty()), None);
    assert_eq!(c.aliases().map(|a| a.quantity()), Some(0));
    assert_eq!(
        (c.http_version(), c.is_ipv6_enabled()),
        (Some(&HttpVersion::Http2and3), Some(true))
    );
    let tags = cf
        .list_tags_for_resource()
        .resource(&made.arn)
        .send()
        .await
        .unwrap();
    let fleet_tag = tags
        .tags()
        .unwrap()
        .items()
        .iter()
        .find(|t| t.key() == TAG_FLEET)
        .and_then(|t| t.value());
    assert_eq!(fleet_tag, Some("web-d15d15d"));
    assert_eq!(
        Distribution.read(&cx, &made).await.unwrap(),
        Some(made.clone())
    );

    // A second run finds it by comment and tag and rewrites it with its ETag: still one distribution.
    assert_eq!(
        Distribution
            .apply(&cx, &o.spec(&f, "s3cr3t"))
            .await
            .unwrap(),
        made,
        "adopted on a second run"
    );
    assert_eq!(distribution_count(&f).await, 1);
    let ops = cloudfront_calls(&f.account);
    let created = ops
        .iter()
        .position(|o| o == "CreateDistributionWithTags")
        .unwrap();
    assert_eq!(
        ops[created + 1],
        "GetDistribution",
        "then the deployment is waited for"
    );
    assert_eq!(
        ops.iter()
            .filter(|o| *o == "CreateDistributionWithTags")
            .count(),
        1
    );
    assert!(
        !ops.iter().any(|o| o == "UpdateDistribution"),
        "nothing changed, so no redeploy: {ops:?}"
    );

    // Strict mode refuses to delete an enabled or undeployed distribution.
    Distribution.delete(&cx, &made).await.expect("delete");
    let ops = cloudfront_calls(&f.account);
    let deleted = ops.iter().position(|o| o == "DeleteDistribution").unwrap();
    assert_eq!(
        ops[deleted - 3..=deleted],
        [
            "GetDistributionConfig",
            "UpdateDistribution",
            "GetDistribution",
            "DeleteDistribution"
        ],
        "disable, wait until deployed, delete"
    );
    assert_eq!(Distribution.read(&cx, &made).await.unwrap(), None);
    Distribution
        .delete(&cx, &made)
        .await
        .expect("a second delete is done");
    o.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn with_a_certificate_it_answers_for_the_aliases_and_one_holding_its_caller_reference_is_adopted(
) {
    let (f, cert) = stacks::fleet_with_certificate(
        "web-ce7ce7c",
        "app.example.com",
        |cert| serde_json::json!({"cdn": {"certificateArn": cert, "aliases": ["app.example.com"]}}),
    )
    .await;
    let cx = f.cx("Distribution");
    let o = Origin::create(&f).await;
    let first = Distribution
        .apply(&cx, &o.spec(&f, "t0p"))
        .await
        .expect("create");

    // As if the create's answer had been lost and the comment edited since: the next run cannot find it
    // by comment, CloudFront refuses a second distribution with the same caller reference, and the
    // fleet adopts the one holding it, restoring its configuration.
    edit_comment(&f, &first.id).await;
    let again = Distribution
        .apply(&cx, &o.spec(&f, "t0p"))
        .await
        .expect("adopted");
    assert_eq!(again, first);
    assert_eq!(distribution_count(&f).await, 1);
    let creates = cloudfront_calls(&f.account)
        .iter()
        .filter(|o| *o == "CreateDistributionWithTags")
        .count();
    assert_eq!(creates, 2, "the second create was refused, not skipped");

    let got = f
        .aws
        .cloudfront
        .get_distribution_config()
        .id(&first.id)
        .send()
        .await
        .unwrap();
    let c = got.distribution_config().unwrap();
    assert_eq!(c.comment(), "ec2fleet web-ce7ce7c");
    assert_eq!(
        c.aliases().unwrap().items(),
        ["app.example.com".to_string()]
    );
    let v = c.viewer_certificate().unwrap();
    assert_eq!(
        (
            v.acm_certificate_arn(),
            v.ssl_support_method(),
            v.minimum_protocol_version()
        ),
        (
            Some(cert.as_str()),
            Some(&SslSupportMethod::SniOnly),
            Some(&MinimumProtocolVersion::TlSv122021)
        )
    );
    assert_eq!(v.cloud_front_default_certificate(), Some(false));

    Distribution.delete(&cx, &first).await.expect("delete");
    Distribution
        .delete(&cx, &first)
        .await
        .expect("a second delete is done");
    o.delete(&f).await;
    stacks::delete_certificate(&f.account, &cert);
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_distribution_with_the_fleets_caller_reference_but_another_owner_is_not_taken_over() {
    let f = support::Fleet::new("web-07e07e0", serde_json::json!({})).await;
    let cx = f.cx("Distribution");
    let o = Origin::create(&f).await;
    let theirs = Distribution
        .apply(&cx, &o.spec(&f, "s3cr3t"))
        .await
        .unwrap();
    let untag = aws_sdk_cloudfront::types::TagKeys::builder()
        .items(TAG_FLEET)
        .build();
    f.aws
        .cloudfront
        .untag_resource()
        .resource(&theirs.arn)
        .tag_keys(untag)
        .send()
        .await
        .unwrap();
    edit_comment(&f, &theirs.id).await;

    let err = Distribution
        .apply(&cx, &o.spec(&f, "s3cr3t"))
        .await
        .expect_err("not ours");
    assert!(
        err.to_string().contains(&format!(
            "{} was made with the caller reference web-07e07e0 but does not belong to fleet web-07e07e0",
            theirs.id
        )),
        "{err}"
    );
    let got = f
        .aws
        .cloudfront
        .get_distribution_config()
        .id(&theirs.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.distribution_config().unwrap().comment(),
        "edited by hand",
        "left as it was"
    );
    assert_eq!(distribution_count(&f).await, 1);

    Distribution.delete(&cx, &theirs).await.unwrap();
    o.delete(&f).await;
    f.assert_no_leaks();
}
