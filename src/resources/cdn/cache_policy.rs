//! The CloudFront cache policy with the fleet's TTLs (seed: 10 s default, 0 min, 1 h max) and
//! compressed objects cached separately. What is in its cache key is exactly what reaches the
//! origin (the distribution forwards nothing else), so a cached response is only ever served to a
//! request it was made for: every query string by default, cookies only when asked for, no headers.

use aws_sdk_cloudfront::operation::get_cache_policy::GetCachePolicyOutput;
use aws_sdk_cloudfront::types::{
    CachePolicy as AwsCachePolicy, CachePolicyConfig, CachePolicyCookieBehavior,
    CachePolicyCookiesConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig, CachePolicyType,
    ParametersInCacheKeyAndForwardedToOrigin,
};
use serde::{Deserialize, Serialize};

use super::super::{Ctx, Reconciler};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// The cache policy's reconciler. Cache policies take no tags, so it has no objects to re-tag.
pub struct CachePolicy;

/// The policy's TTLs, in seconds, and what is in its cache key (and so reaches the origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Default cache TTL.
    pub default_ttl: u32,
    /// Minimum cache TTL.
    pub min_ttl: u32,
    /// Maximum cache TTL.
    pub max_ttl: u32,
    /// Whether every query string is in the key and forwarded; without, none is.
    pub query_strings: bool,
    /// Whether every cookie is in the key and forwarded; without, none is.
    pub cookies: bool,
}

/// What the fleet records about its cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachePolicyState {
    /// The policy's ID.
    pub id: String,
    /// Its name.
    pub name: String,
}

fn config(cx: &Ctx<'_>, spec: &Spec, name: &str) -> Result<CachePolicyConfig, Error> {
    let op = "CreateCachePolicy";
    let key = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(true)
        .enable_accept_encoding_brotli(true)
        .headers_config(
            CachePolicyHeadersConfig::builder()
                .header_behavior(CachePolicyHeaderBehavior::None)
                .build()
                .map_err(Error::build("cloudfront", op))?,
        )
        .cookies_config(
            CachePolicyCookiesConfig::builder()
                .cookie_behavior(if spec.cookies {
                    CachePolicyCookieBehavior::All
                } else {
                    CachePolicyCookieBehavior::None
                })
                .build()
                .map_err(Error::build("cloudfront", op))?,
        )
        .query_strings_config(
            CachePolicyQueryStringsConfig::builder()
                .query_string_behavior(if spec.query_strings {
                    CachePolicyQueryStringBehavior::All
                } else {
                    CachePolicyQueryStringBehavior::None
                })
                .build()
                .map_err(Error::build("cloudfront", op))?,
        )
        .build()
        .map_err(Error::build("cloudfront", op))?;
    CachePolicyConfig::builder()
        .name(name)
        .comment(comment(cx))
        .default_ttl(spec.default_ttl.into())
        .min_ttl(spec.min_ttl.into())
        .max_ttl(spec.max_ttl.into())
        .parameters_in_cache_key_and_forwarded_to_origin(key)
        .build()
        .map_err(Error::build("cloudfront", op))
}

/// The policy's name: `<prefix>-cache`.
fn policy_name(cx: &Ctx<'_>) -> String {
    format!("{}-cache", cx.prefix)
}

/// The account's custom policy with the fleet's name.
async fn named(cx: &Ctx<'_>) -> Result<Option<AwsCachePolicy>, Error> {
    let name = policy_name(cx);
    let list = cx
        .aws
        .cloudfront
        .list_cache_policies()
        .r#type(CachePolicyType::Custom)
        .send()
        .await;
    let list = list.map_err(on("cloudfront", "ListCachePolicies"))?;
    Ok(list
        .cache_policy_list()
        .map(|l| l.items())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.cache_policy())
        .find(|p| p.cache_policy_config().map(|c| c.name()) == Some(name.as_str()))
        .cloned())
}

/// The comment naming the fleet.
fn comment(cx: &Ctx<'_>) -> String {
    format!("ec2fleet {}", cx.prefix)
}

/// The policy's settings as they are now; `None` when it is gone.
pub async fn settings(cx: &Ctx<'_>, state: &CachePolicyState) -> Result<Option<Spec>, Error> {
    let got = get(cx, state).await?;
    let ttl = |t: Option<i64>| t.unwrap_or_default().clamp(0, i64::from(u32::MAX)) as u32;
    Ok(got
        .as_ref()
        .and_then(|o| o.cache_policy())
        .and_then(|p| p.cache_policy_config())
        .map(|c| {
            let key = c.parameters_in_cache_key_and_forwarded_to_origin();
            Spec {
                default_ttl: ttl(c.default_ttl()),
                min_ttl: ttl(Some(c.min_ttl())),
                max_ttl: ttl(c.max_ttl()),
                query_strings: key
                    .and_then(|k| k.query_strings_config())
                    .map(|q| q.query_string_behavior())
                    == Some(&CachePolicyQueryStringBehavior::All),
                cookies: key
                    .and_then(|k| k.cookies_config())
                    .map(|c| c.cookie_behavior())
                    == Some(&CachePolicyCookieBehavior::All),
            }
        }))
}

async fn get(
    cx: &Ctx<'_>,
    state: &CachePolicyState,
) -> Result<Option<GetCachePolicyOutput>, Error> {
    let got = cx
        .aws
        .cloudfront
        .get_cache_policy()
        .id(&state.id)
        .send()
        .await;
    none_if_gone(got.map_err(on("cloudfront", "GetCachePolicy")))
}

impl Reconciler for CachePolicy {
    type Spec = Spec;
    type Record = CachePolicyState;
    type Within = ();

    /// Creates the policy, or updates the one this fleet made (found by its name) to the wanted
    /// TTLs.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<CachePolicyState, Error> {
        let name = policy_name(cx);
        let cf = &cx.aws.cloudfront;
        let existing = named(cx).await?.map(|p| p.id().to_string());
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
                    .cache_policy_config(config(cx, spec, &name)?)
                    .send()
                    .await
                    .map_err(on("cloudfront", "UpdateCachePolicy"))?;
                id
            }
            None => {
                let out = cf
                    .create_cache_policy()
                    .cache_policy_config(config(cx, spec, &name)?)
                    .send()
                    .await
                    .map_err(on("cloudfront", "CreateCachePolicy"))?;
                out.cache_policy()
                    .map(|p| p.id().to_string())
                    .ok_or_else(|| {
                        Error::missing("cloudfront", "CreateCachePolicy", "the cache policy")
                    })?
            }
        };
        Ok(CachePolicyState { id, name })
    }

    /// The policy as it is now; `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &CachePolicyState,
    ) -> Result<Option<CachePolicyState>, Error> {
        Ok(get(cx, state).await?.map(|_| state.clone()))
    }

    /// Deletes the policy with its current ETag; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &CachePolicyState) -> Result<(), Error> {
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

    /// The fleet's policy. Cache policies carry no tags: the name and the comment naming the fleet
    /// are what identify it.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<CachePolicyState>, Error> {
        let name = policy_name(cx);
        let ours = comment(cx);
        Ok(named(cx)
            .await?
            .filter(|p| p.cache_policy_config().and_then(|c| c.comment()) == Some(ours.as_str()))
            .map(|p| CachePolicyState {
                id: p.id().to_string(),
                name,
            }))
    }
}
