//! The CloudFront cache policy with the fleet's TTLs (seed: 10 s default, 0 min, 1 h max), compressed
//! objects cached separately, and no cookies, headers or query strings in the cache key.

use aws_sdk_cloudfront::types::{
    CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig,
    CachePolicyHeaderBehavior, CachePolicyHeadersConfig, CachePolicyQueryStringBehavior,
    CachePolicyQueryStringsConfig, ParametersInCacheKeyAndForwardedToOrigin,
};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::AwsError;

/// What the fleet records about its cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachePolicyState {
    /// The policy's ID.
    pub id: String,
    /// Its name.
    pub name: String,
}

fn invalid(
    op: &'static str,
) -> impl FnOnce(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |e| AwsError::conflict("cloudfront", op, e.to_string())
}

fn config(cx: &Ctx<'_>, name: &str) -> Result<CachePolicyConfig, AwsError> {
    let op = "CreateCachePolicy";
    let key = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(true)
        .enable_accept_encoding_brotli(true)
        .headers_config(
            CachePolicyHeadersConfig::builder()
                .header_behavior(CachePolicyHeaderBehavior::None)
                .build()
                .map_err(invalid(op))?,
        )
        .cookies_config(
            CachePolicyCookiesConfig::builder()
                .cookie_behavior(CachePolicyCookieBehavior::None)
                .build()
                .map_err(invalid(op))?,
        )
        .query_strings_config(
            CachePolicyQueryStringsConfig::builder()
                .query_string_behavior(CachePolicyQueryStringBehavior::None)
                .build()
                .map_err(invalid(op))?,
        )
        .build()
        .map_err(invalid(op))?;
    let c = &cx.args.cdn;
    CachePolicyConfig::builder()
        .name(name)
        .comment(format!("ec2fleet {}", cx.prefix))
        .default_ttl(c.default_ttl.into())
        .min_ttl(c.min_ttl.into())
        .max_ttl(c.max_ttl.into())
        .parameters_in_cache_key_and_forwarded_to_origin(key)
        .build()
        .map_err(invalid(op))
}

/// Creates the policy, or updates the one this fleet made (found by its name) to the wanted TTLs.
pub async fn create(cx: &Ctx<'_>) -> Result<CachePolicyState, AwsError> {
    let name = format!("{}-cache", cx.prefix);
    let cf = &cx.aws.cloudfront;
    let list = cf
        .list_cache_policies()
        .r#type(aws_sdk_cloudfront::types::CachePolicyType::Custom)
        .send()
        .await;
    let list = list.map_err(on("cloudfront", "ListCachePolicies"))?;
    let existing = list
        .cache_policy_list()
        .map(|l| l.items())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.cache_policy())
        .find(|p| p.cache_policy_config().map(|c| c.name()) == Some(name.as_str()))
        .map(|p| p.id().to_string());
    let id = match existing {
        Some(id) => {
            let got = cf
                .get_cache_policy_config()
                .id(&id)
                .send()
                .await
                .map_err(on("cloudfront", "GetCachePolicyConfig"))?;
            let etag = got.e_tag().unwrap_or_default().to_string();
            cf.update_cache_policy()
                .id(&id)
                .if_match(etag)
                .cache_policy_config(config(cx, &name)?)
                .send()
                .await
                .map_err(on("cloudfront", "UpdateCachePolicy"))?;
            id
        }
        None => {
            let out = cf
                .create_cache_policy()
                .cache_policy_config(config(cx, &name)?)
                .send()
                .await
                .map_err(on("cloudfront", "CreateCachePolicy"))?;
            out.cache_policy()
                .map(|p| p.id().to_string())
                .unwrap_or_default()
        }
    };
    Ok(CachePolicyState { id, name })
}

/// Deletes the policy with its current ETag; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &CachePolicyState) -> Result<(), AwsError> {
    let cf = &cx.aws.cloudfront;
    let Some(got) = none_if_gone(
        cf.get_cache_policy_config()
            .id(&state.id)
            .send()
            .await
            .map_err(on("cloudfront", "GetCachePolicyConfig")),
    )?
    else {
        return Ok(());
    };
    let etag = got.e_tag().unwrap_or_default().to_string();
    done_if_gone(
        cf.delete_cache_policy()
            .id(&state.id)
            .if_match(etag)
            .send()
            .await
            .map_err(on("cloudfront", "DeleteCachePolicy")),
    )
}

/// The policy as it is now; `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &CachePolicyState,
) -> Result<Option<CachePolicyState>, AwsError> {
    let got = cx
        .aws
        .cloudfront
        .get_cache_policy()
        .id(&state.id)
        .send()
        .await;
    Ok(none_if_gone(got.map_err(on("cloudfront", "GetCachePolicy")))?.map(|_| state.clone()))
}
