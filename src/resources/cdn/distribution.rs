//! The CloudFront distribution in front of the load balancer. CloudFront reaches the ALB over plain HTTP on
//! the listener port (an HTTPS origin would fail CloudFront's certificate-name check against the ALB's DNS
//! name) and adds the secret origin header the ALB's listener rule requires; viewers are redirected to
//! HTTPS. Its CallerReference is the fleet's prefix, CloudFront's own idempotency token, so a retried create
//! never makes a second distribution.

use std::time::Duration;

use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomHeaders, CustomOriginConfig,
    DefaultCacheBehavior, Distribution as AwsDistribution, DistributionConfig,
    DistributionConfigWithTags, DistributionSummary, HttpVersion, Method, MinimumProtocolVersion,
    Origin, OriginCustomHeader, OriginProtocolPolicy, Origins, SslSupportMethod, Tag, Tags,
    ViewerCertificate, ViewerProtocolPolicy,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use super::cache_policy::CachePolicyState;
use crate::aws::error::{done_if_gone, none_if_gone, on, CallError};
use crate::aws::Error;
use crate::resources::lb::listeners::ORIGIN_HEADER;
use crate::resources::lb::load_balancer::LoadBalancerState;

/// CloudFront's fixed hosted zone for alias records.
pub const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// The one origin's ID.
const ORIGIN_ID: &str = "alb";
/// Deployments take 2-5 minutes; the wait's pause grows to this at most.
const DEPLOY_POLL: Duration = Duration::from_secs(20);
/// The call that configuration and ownership errors are reported under.
const OP: &str = "CreateDistributionWithTags";

/// The CloudFront distribution's reconciler.
pub struct Distribution;

/// What the fleet records about its distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionState {
    /// The distribution's ID.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its `*.cloudfront.net` domain name.
    pub domain_name: String,
}

/// What the distribution is built on, and what it answers to.
pub struct Spec {
    /// The origin.
    pub load_balancer: LoadBalancerState,
    /// The cache policy of the default behavior.
    pub cache_policy: CachePolicyState,
    /// The value of the origin header the ALB requires.
    pub origin_secret: String,
    /// The load balancer's listener port, which CloudFront reaches it on over HTTP.
    pub http_port: u16,
    /// ARN of an ACM certificate (in us-east-1) for the aliases; CloudFront's own when `None`.
    pub certificate_arn: Option<String>,
    /// Extra domain names the distribution answers to.
    pub aliases: Vec<String>,
}

fn etag(e_tag: Option<&str>, op: &'static str) -> Result<String, Error> {
    e_tag
        .map(str::to_string)
        .ok_or_else(|| Error::missing("cloudfront", op, "the ETag"))
}

/// The comment naming the fleet; with the identity tag it finds a distribution whose create response
/// was lost.
fn comment(cx: &Ctx<'_>) -> String {
    format!("ec2fleet {}", cx.prefix)
}

fn origins(r: &Spec) -> Result<Origins, Error> {
    let header = OriginCustomHeader::builder()
        .header_name(ORIGIN_HEADER)
        .header_value(&r.origin_secret)
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    let http_only = CustomOriginConfig::builder()
        .http_port(r.http_port.into())
        .https_port(443)
        .origin_protocol_policy(OriginProtocolPolicy::HttpOnly)
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    let alb = Origin::builder()
        .id(ORIGIN_ID)
        .domain_name(&r.load_balancer.dns_name)
        .custom_origin_config(http_only)
        .custom_headers(
            CustomHeaders::builder()
                .quantity(1)
                .items(header)
                .build()
                .map_err(Error::build("cloudfront", OP))?,
        )
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    Origins::builder()
        .quantity(1)
        .items(alb)
        .build()
        .map_err(Error::build("cloudfront", OP))
}

/// Every method goes to the app (it is a whole site, forms and APIs included); GET and HEAD are cached.
fn default_behavior(r: &Spec) -> Result<DefaultCacheBehavior, Error> {
    use Method::{Delete, Get, Head, Options, Patch, Post, Put};
    let all = vec![Get, Head, Options, Put, Post, Patch, Delete];
    let cached = CachedMethods::builder()
        .quantity(2)
        .items(Get)
        .items(Head)
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    let allowed = AllowedMethods::builder()
        .quantity(all.len() as i32)
        .set_items(Some(all))
        .cached_methods(cached)
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    DefaultCacheBehavior::builder()
        .target_origin_id(ORIGIN_ID)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(allowed)
        .compress(true)
        // No origin request policy: the origin gets only what is in the cache key, so nothing a
        // response may depend on is left out of it (AWS's managed AllViewer policy forwarded every
        // cookie and query string while the key had none, and one user's page reached another).
        .cache_policy_id(&r.cache_policy.id)
        .build()
        .map_err(Error::build("cloudfront", OP))
}

/// The ACM certificate for the aliases when one is given, else CloudFront's own `*.cloudfront.net` one.
fn viewer_certificate(certificate_arn: Option<&str>) -> ViewerCertificate {
    match certificate_arn {
        Some(arn) => ViewerCertificate::builder()
            .cloud_front_default_certificate(false)
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    }
}

/// The wanted configuration. Aliases are always sent (possibly none), so an update drops removed ones.
fn config(cx: &Ctx<'_>, r: &Spec, caller_reference: &str) -> Result<DistributionConfig, Error> {
    let aliases = Aliases::builder()
        .quantity(r.aliases.len() as i32)
        .set_items((!r.aliases.is_empty()).then(|| r.aliases.clone()))
        .build()
        .map_err(Error::build("cloudfront", OP))?;
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(comment(cx))
        .enabled(true)
        .origins(origins(r)?)
        .default_cache_behavior(default_behavior(r)?)
        .aliases(aliases)
        .viewer_certificate(viewer_certificate(r.certificate_arn.as_deref()))
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .build()
        .map_err(Error::build("cloudfront", OP))
}

fn tags(cx: &Ctx<'_>) -> Result<Tags, Error> {
    let items = cx
        .tags()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::build("cloudfront", OP))?;
    Ok(Tags::builder().set_items(Some(items)).build())
}

fn state_of(d: &AwsDistribution) -> DistributionState {
    DistributionState {
        id: d.id().into(),
        arn: d.arn().into(),
        domain_name: d.domain_name().into(),
    }
}

async fn get(cx: &Ctx<'_>, id: &str) -> Result<GetDistributionOutput, Error> {
    let got = cx.aws.cloudfront.get_distribution().id(id).send().await;
    got.map_err(on("cloudfront", "GetDistribution"))
}

async fn get_config(cx: &Ctx<'_>, id: &str) -> Result<GetDistributionConfigOutput, Error> {
    let got = cx
        .aws
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await;
    got.map_err(on("cloudfront", "GetDistributionConfig"))
}

async fn summaries(cx: &Ctx<'_>) -> Result<Vec<DistributionSummary>, Error> {
    let pages = cx.aws.cloudfront.list_distributions().into_paginator();
    let all = pages.items().send().try_collect().await;
    all.map_err(on("cloudfront", "ListDistributions"))
}

/// Whether the distribution carries this fleet's identity tag.
async fn owned(cx: &Ctx<'_>, arn: &str) -> Result<bool, Error> {
    let out = cx
        .aws
        .cloudfront
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .map_err(on("cloudfront", "ListTagsForResource"))?;
    let tags = out.tags().map(|t| t.items()).unwrap_or_default();
    Ok(tags
        .iter()
        .any(|t| t.key() == TAG_FLEET && t.value() == Some(cx.prefix)))
}

/// The fleet's distribution, found by its comment and identity tag.
async fn find(cx: &Ctx<'_>) -> Result<Option<String>, Error> {
    let ours = comment(cx);
    for s in summaries(cx).await?.iter().filter(|s| s.comment() == ours) {
        if owned(cx, s.arn()).await? {
            return Ok(Some(s.id().into()));
        }
    }
    Ok(None)
}

/// The distribution holding the fleet's CallerReference, after CloudFront refused a second one with it
/// (its comment was changed since; `refusal` is that answer). One without the fleet's tag is someone
/// else's: never taken over.
async fn by_caller_reference(cx: &Ctx<'_>, refusal: Box<CallError>) -> Result<String, Error> {
    for s in summaries(cx).await? {
        let Some(got) = none_if_gone(get_config(cx, s.id()).await)? else {
            continue;
        };
        if got.distribution_config().map(|c| c.caller_reference()) != Some(cx.prefix) {
            continue;
        }
        if owned(cx, s.arn()).await? {
            return Ok(s.id().into());
        }
        return Err(Error::Refused {
            service: "cloudfront",
            operation: OP,
            reason: format!("CloudFront distribution {} was made with the caller reference {} but does not belong to fleet {}; choose another namePrefix", s.id(), cx.prefix, cx.prefix),
            cause: Some(refusal),
        });
    }
    Err(Error::Refused {
        service: "cloudfront",
        operation: OP,
        reason: format!("CloudFront reports a distribution with the caller reference {} but lists none; run the command again", cx.prefix),
        cause: Some(refusal),
    })
}

/// Creates the distribution; returns its record, from CreateDistribution's answer.
async fn create_new(cx: &Ctx<'_>, r: &Spec) -> Result<DistributionState, Error> {
    let with_tags = DistributionConfigWithTags::builder()
        .distribution_config(config(cx, r, cx.prefix)?)
        .tags(tags(cx)?)
        .build();
    let out = cx
        .aws
        .cloudfront
        .create_distribution_with_tags()
        .distribution_config_with_tags(with_tags)
        .send()
        .await
        .map_err(on("cloudfront", OP))?;
    out.distribution()
        .map(state_of)
        .ok_or_else(|| Error::missing("cloudfront", OP, "the distribution"))
}

/// Rewrites an adopted distribution to the wanted configuration with its current ETag, keeping its
/// CallerReference.
async fn update(cx: &Ctx<'_>, id: &str, r: &Spec) -> Result<(), Error> {
    let got = get_config(cx, id).await?;
    let current = got.distribution_config().ok_or_else(|| {
        Error::missing(
            "cloudfront",
            "GetDistributionConfig",
            "the distribution config",
        )
    })?;
    let wanted = config(cx, r, current.caller_reference())?;
    // Every update redeploys to every edge location (minutes): skip it when nothing we set differs.
    if controlled(current) == controlled(&wanted) {
        return Ok(());
    }
    cx.aws
        .cloudfront
        .update_distribution()
        .id(id)
        .if_match(etag(got.e_tag(), "GetDistributionConfig")?)
        .distribution_config(wanted)
        .send()
        .await
        .map_err(on("cloudfront", "UpdateDistribution"))?;
    Ok(())
}

/// One origin as far as the fleet sets it: id, domain, port, protocol policy, custom headers.
type OriginSettings<'a> = (
    &'a str,
    &'a str,
    Option<i32>,
    Option<&'a str>,
    Vec<(&'a str, &'a str)>,
);

/// The settings the fleet controls (AWS fills in many more with defaults, which must not count as
/// drift): comment, state, aliases, origins, default behaviour, certificate, protocols.
fn controlled(c: &DistributionConfig) -> impl PartialEq + '_ {
    let origins: Vec<OriginSettings<'_>> = c
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let custom = o.custom_origin_config();
            let headers = o
                .custom_headers()
                .map(|h| h.items())
                .unwrap_or_default()
                .iter()
                .map(|h| (h.header_name(), h.header_value()))
                .collect();
            (
                o.id(),
                o.domain_name(),
                custom.map(|c| c.http_port()),
                custom.map(|c| c.origin_protocol_policy().as_str()),
                headers,
            )
        })
        .collect();
    let behavior = c.default_cache_behavior().map(|b| {
        (
            b.target_origin_id(),
            b.viewer_protocol_policy().as_str(),
            b.cache_policy_id(),
            b.origin_request_policy_id(),
        )
    });
    let cert = c
        .viewer_certificate()
        // AWS may answer an empty ARN where none was set.
        .map(|v| {
            let arn = v.acm_certificate_arn().filter(|a| !a.is_empty());
            (arn, v.cloud_front_default_certificate())
        });
    (
        (c.comment(), c.enabled(), c.aliases().map(|a| a.items())),
        origins,
        behavior,
        cert,
        (c.http_version().map(|h| h.as_str()), c.is_ipv6_enabled()),
    )
}

/// The distribution's certificate and aliases; `None` when it is gone.
pub async fn viewer(
    cx: &Ctx<'_>,
    state: &DistributionState,
) -> Result<Option<(Option<String>, Vec<String>)>, Error> {
    let got = none_if_gone(get_config(cx, &state.id).await)?;
    Ok(got.as_ref().and_then(|o| o.distribution_config()).map(|c| {
        let certificate = c
            .viewer_certificate()
            .and_then(|v| v.acm_certificate_arn())
            .map(str::to_string);
        let aliases = c.aliases().map(|a| a.items().to_vec()).unwrap_or_default();
        (certificate, aliases)
    }))
}

/// Polls until the distribution's last change is deployed everywhere; `None` when it is gone.
async fn deployed(
    cx: &Ctx<'_>,
    id: &str,
    what: &str,
) -> Result<Option<GetDistributionOutput>, Error> {
    cx.waits
        .until(what, DEPLOY_POLL, || async {
            Ok(match none_if_gone(get(cx, id).await)? {
                None => Some(None),
                Some(out) if out.distribution().map(|d| d.status()) == Some("Deployed") => {
                    Some(Some(out))
                }
                Some(_) => None,
            })
        })
        .await
}

/// Waits until the distribution's last change is deployed everywhere.
pub async fn wait_deployed(cx: &Ctx<'_>, state: &DistributionState) -> Result<(), Error> {
    let what = format!("CloudFront distribution {} to deploy", state.id);
    deployed(cx, &state.id, &what)
        .await?
        .map(drop)
        .ok_or_else(|| gone_while_deploying(&state.id))
}

fn gone_while_deploying(id: &str) -> Error {
    Error::Failed {
        service: "cloudfront",
        operation: "GetDistribution",
        reason: format!("CloudFront returned no distribution {id}: it was deleted while deploying"),
    }
}

impl Reconciler for Distribution {
    type Spec = Spec;
    type Record = DistributionState;
    type Within = ();

    /// Creates the distribution, or adopts the fleet's own and updates it to the wanted
    /// configuration. It does not wait for the deployment: its domain name is usable at once (the
    /// DNS record is made meanwhile), and the fleet's last step waits for it ([`wait_deployed`])
    /// alongside the load balancer and the instances.
    async fn apply(&self, cx: &Ctx<'_>, r: &Spec) -> Result<DistributionState, Error> {
        let id = match find(cx).await? {
            Some(id) => id,
            None => match create_new(cx, r).await {
                Ok(made) => return Ok(made),
                Err(Error::Aws(e)) if e.code.as_deref() == Some("DistributionAlreadyExists") => {
                    by_caller_reference(cx, e).await?
                }
                Err(e) => return Err(e),
            },
        };
        // An adopted one: brought to the wanted configuration, then read for its record.
        update(cx, &id, r).await?;
        none_if_gone(get(cx, &id).await)?
            .and_then(|out| out.distribution().map(state_of))
            .ok_or_else(|| gone_while_deploying(&id))
    }

    /// The distribution as it is now, or `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &DistributionState,
    ) -> Result<Option<DistributionState>, Error> {
        Ok(
            none_if_gone(get(cx, &state.id).await)?
                .and_then(|out| out.distribution().map(state_of)),
        )
    }

    /// Disables the distribution, waits until that is deployed (CloudFront refuses to delete it
    /// before), then deletes it with its latest ETag. Gone at any step is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &DistributionState) -> Result<(), Error> {
        let Some(got) = none_if_gone(get_config(cx, &state.id).await)? else {
            return Ok(());
        };
        if let Some(current) = got.distribution_config().filter(|c| c.enabled()) {
            let mut off = current.clone();
            off.enabled = false;
            let disabled = cx
                .aws
                .cloudfront
                .update_distribution()
                .id(&state.id)
                .if_match(etag(got.e_tag(), "GetDistributionConfig")?)
                .distribution_config(off)
                .send()
                .await
                .map_err(on("cloudfront", "UpdateDistribution"));
            if none_if_gone(disabled)?.is_none() {
                return Ok(());
            }
        }
        let what = format!("CloudFront distribution {} to be disabled", state.id);
        let Some(now) = deployed(cx, &state.id, &what).await? else {
            return Ok(());
        };
        done_if_gone(
            cx.aws
                .cloudfront
                .delete_distribution()
                .id(&state.id)
                .if_match(etag(now.e_tag(), "GetDistribution")?)
                .send()
                .await
                .map_err(on("cloudfront", "DeleteDistribution")),
        )
    }

    /// The fleet's distribution, found by its comment and identity tag.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<DistributionState>, Error> {
        let Some(id) = find(cx).await? else {
            return Ok(None);
        };
        Ok(none_if_gone(get(cx, &id).await)?.and_then(|out| out.distribution().map(state_of)))
    }

    fn tag_targets(&self, r: &DistributionState) -> Vec<Target> {
        vec![Target::Distribution(r.arn.clone())]
    }
}
