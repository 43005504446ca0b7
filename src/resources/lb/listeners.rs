//! The listeners. HTTP forwards to the target group; with a certificate, HTTPS on 443 forwards and HTTP
//! redirects to it (the seed had HTTP only). With the CDN on, requests must carry the secret origin header
//! CloudFront adds; anything else gets a 403, so the load balancer cannot be used to bypass the CDN.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, HttpHeaderConditionConfig,
    Listener, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Rule,
    RuleCondition,
};
use serde::{Deserialize, Serialize};

use super::super::{Ctx, Reconciler};
use super::load_balancer::LoadBalancerState;
use super::target_group::TargetGroupState;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// The header CloudFront sends to the origin with the fleet's secret.
pub const ORIGIN_HEADER: &str = "X-Origin-Verify";
const HTTPS: u16 = 443;
/// TLS 1.3 and 1.2 only, forward-secret ciphers: ELB's recommended policy (the default one, when
/// none is named, still accepts TLS 1.0).
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The fleet's listeners (see the module docs).
pub struct Listeners;

/// What the listeners are made from.
pub struct Spec {
    /// The load balancer they listen on.
    pub load_balancer: LoadBalancerState,
    /// The target group they forward to.
    pub target_group: TargetGroupState,
    /// The HTTP listener's port (the fleet's `listenerPort`).
    pub port: u16,
    /// The certificate of an HTTPS listener on 443; none without it.
    pub certificate_arn: Option<String>,
    /// The secret CloudFront sends in [`ORIGIN_HEADER`]; with it, only requests carrying it reach the
    /// targets.
    pub origin_secret: Option<String>,
}

/// What the fleet records about its listeners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenersState {
    /// ARNs of the listeners made, by port.
    pub listener_arns: Vec<(u16, String)>,
}

fn forward(tg: &TargetGroupState) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&tg.arn)
        .build()
}

fn forbidden() -> Action {
    let body = FixedResponseActionConfig::builder()
        .status_code("403")
        .content_type("text/plain")
        .message_body("direct access is not allowed")
        .build();
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(body)
        .build()
}

fn redirect_to_https() -> Action {
    let to = RedirectActionConfig::builder()
        .protocol("HTTPS")
        .port(HTTPS.to_string())
        .status_code(RedirectActionStatusCodeEnum::Http301)
        .build();
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(to)
        .build()
}

/// One listener: its port, protocol, default action and, with the CDN, the header rule.
struct Plan {
    port: u16,
    protocol: ProtocolEnum,
    default: Action,
    guarded: bool,
}

impl Plan {
    /// An HTTPS listener's certificate and security policy; none for HTTP.
    fn tls(&self, spec: &Spec) -> Option<(Certificate, String)> {
        let cert = spec.certificate_arn.as_deref()?;
        (self.protocol == ProtocolEnum::Https).then(|| {
            let cert = Certificate::builder().certificate_arn(cert).build();
            (cert, TLS_POLICY.to_string())
        })
    }
}

fn plans(spec: &Spec) -> Vec<Plan> {
    let tg = &spec.target_group;
    let secret = spec.origin_secret.as_deref();
    let serving = || {
        if secret.is_some() {
            forbidden()
        } else {
            forward(tg)
        }
    };
    let http = spec.port;
    match &spec.certificate_arn {
        // CloudFront reaches the origin over HTTP (the ALB's own DNS name cannot match a certificate),
        // so with the CDN the HTTP listener serves guarded requests instead of redirecting them.
        Some(_) => vec![
            Plan {
                port: http,
                protocol: ProtocolEnum::Http,
                default: if secret.is_some() {
                    forbidden()
                } else {
                    redirect_to_https()
                },
                guarded: secret.is_some(),
            },
            Plan {
                port: HTTPS,
                protocol: ProtocolEnum::Https,
                default: serving(),
                guarded: secret.is_some(),
            },
        ],
        None => vec![Plan {
            port: http,
            protocol: ProtocolEnum::Http,
            default: serving(),
            guarded: secret.is_some(),
        }],
    }
}

/// Priority 1 on the listener: forward only requests with the secret header.
async fn ensure_header_rule(
    cx: &Ctx<'_>,
    listener: &str,
    tg: &TargetGroupState,
    secret: &str,
) -> Result<(), Error> {
    let elb = &cx.aws.elbv2;
    let header = HttpHeaderConditionConfig::builder()
        .http_header_name(ORIGIN_HEADER)
        .values(secret)
        .build();
    let condition = RuleCondition::builder()
        .field("http-header")
        .http_header_config(header)
        .build();
    match header_rule(cx, listener).await?.and_then(|r| r.rule_arn) {
        Some(rule) => {
            elb.modify_rule()
                .rule_arn(rule)
                .conditions(condition)
                .actions(forward(tg))
                .send()
                .await
                .map_err(on("elbv2", "ModifyRule"))?;
        }
        None => {
            elb.create_rule()
                .listener_arn(listener)
                .priority(1)
                .conditions(condition)
                .actions(forward(tg))
                .send()
                .await
                .map_err(on("elbv2", "CreateRule"))?;
        }
    }
    Ok(())
}

/// Deletes the listener's header rule, if it has one.
async fn remove_header_rule(cx: &Ctx<'_>, listener: &str) -> Result<(), Error> {
    let Some(rule) = header_rule(cx, listener).await?.and_then(|r| r.rule_arn) else {
        return Ok(());
    };
    let res = cx.aws.elbv2.delete_rule().rule_arn(rule).send().await;
    done_if_gone(res.map_err(on("elbv2", "DeleteRule")))
}

/// The listener's priority-1 rule, the one that admits the secret header.
async fn header_rule(cx: &Ctx<'_>, listener: &str) -> Result<Option<Rule>, Error> {
    let rules = cx
        .aws
        .elbv2
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .map_err(on("elbv2", "DescribeRules"))?;
    Ok(rules
        .rules()
        .iter()
        .find(|r| r.priority() == Some("1"))
        .cloned())
}

/// The origin secret the listeners' header rule admits, if there is one.
pub async fn origin_secret(cx: &Ctx<'_>, state: &ListenersState) -> Result<Option<String>, Error> {
    for (_, arn) in &state.listener_arns {
        let Some(rule) = none_if_gone(header_rule(cx, arn).await)?.flatten() else {
            continue;
        };
        let secret = rule
            .conditions()
            .iter()
            .filter_map(|c| c.http_header_config())
            .find(|h| h.http_header_name() == Some(ORIGIN_HEADER))
            .and_then(|h| h.values().first().cloned());
        if secret.is_some() {
            return Ok(secret);
        }
    }
    Ok(None)
}

/// The load balancer's listeners, HTTP before HTTPS (the order they are made in).
async fn on_load_balancer(cx: &Ctx<'_>, lb_arn: &str) -> Result<Vec<Listener>, Error> {
    let found = cx
        .aws
        .elbv2
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .map_err(on("elbv2", "DescribeListeners"))?;
    let mut listeners = found.listeners().to_vec();
    listeners.sort_by_key(|l| (l.protocol() == Some(&ProtocolEnum::Https), l.port()));
    Ok(listeners)
}

fn state_of(listeners: &[Listener]) -> Option<ListenersState> {
    let listener_arns: Vec<(u16, String)> = listeners
        .iter()
        .filter_map(|l| {
            let port = u16::try_from(l.port()?).ok()?;
            Some((port, l.listener_arn()?.to_string()))
        })
        .collect();
    (!listener_arns.is_empty()).then_some(ListenersState { listener_arns })
}

/// The listener settings: the HTTP port, and the certificate of the HTTPS listener if any.
pub struct Settings {
    /// The HTTP listener's port.
    pub port: Option<u16>,
    /// The HTTPS listener's certificate.
    pub certificate_arn: Option<String>,
}

/// The settings of the recorded listeners that still exist.
pub async fn settings(cx: &Ctx<'_>, state: &ListenersState) -> Result<Settings, Error> {
    let live = live(cx, state).await?;
    let http = live
        .iter()
        .find(|l| l.protocol() == Some(&ProtocolEnum::Http));
    let https = live
        .iter()
        .find(|l| l.protocol() == Some(&ProtocolEnum::Https));
    Ok(Settings {
        port: http.and_then(|l| u16::try_from(l.port()?).ok()),
        certificate_arn: https
            .and_then(|l| l.certificates().first())
            .and_then(|c| c.certificate_arn())
            .map(str::to_string),
    })
}

/// The recorded listeners that still exist.
async fn live(cx: &Ctx<'_>, state: &ListenersState) -> Result<Vec<Listener>, Error> {
    let arns: Vec<String> = state.listener_arns.iter().map(|(_, a)| a.clone()).collect();
    let found = cx
        .aws
        .elbv2
        .describe_listeners()
        .set_listener_arns(Some(arns))
        .send()
        .await;
    let found = none_if_gone(found.map_err(on("elbv2", "DescribeListeners")))?;
    Ok(found.map(|f| f.listeners().to_vec()).unwrap_or_default())
}

/// Deletes the listeners `arns` (their rules go with them); ones already gone are done.
async fn remove(cx: &Ctx<'_>, arns: &[(u16, String)]) -> Result<(), Error> {
    for (_, arn) in arns {
        done_if_gone(
            cx.aws
                .elbv2
                .delete_listener()
                .listener_arn(arn)
                .send()
                .await
                .map_err(on("elbv2", "DeleteListener")),
        )?;
    }
    Ok(())
}

impl Reconciler for Listeners {
    type Spec = Spec;
    type Record = ListenersState;
    type Within = LoadBalancerState;

    /// Creates (or updates) the listeners and, with the CDN, the rule that admits only the secret
    /// header.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<ListenersState, Error> {
        let elb = &cx.aws.elbv2;
        let (lb, tg) = (&spec.load_balancer, &spec.target_group);
        let origin_secret = spec.origin_secret.as_deref();
        let existing = on_load_balancer(cx, &lb.arn).await?;
        let mut listener_arns = Vec::new();
        for p in plans(spec) {
            let found = existing
                .iter()
                .find(|l| l.port() == Some(i32::from(p.port)))
                .and_then(|l| l.listener_arn())
                .map(str::to_string);
            let existed = found.is_some();
            let (certificates, ssl_policy) =
                p.tls(spec).map(|(c, policy)| (vec![c], policy)).unzip();
            let arn = match found {
                Some(arn) => {
                    elb.modify_listener()
                        .listener_arn(&arn)
                        .protocol(p.protocol)
                        .default_actions(p.default)
                        .set_certificates(certificates)
                        .set_ssl_policy(ssl_policy)
                        .send()
                        .await
                        .map_err(on("elbv2", "ModifyListener"))?;
                    arn
                }
                None => {
                    let out = elb
                        .create_listener()
                        .load_balancer_arn(&lb.arn)
                        .port(i32::from(p.port))
                        .protocol(p.protocol)
                        .default_actions(p.default)
                        .set_certificates(certificates)
                        .set_ssl_policy(ssl_policy)
                        .send()
                        .await
                        .map_err(on("elbv2", "CreateListener"))?;
                    out.listeners()
                        .first()
                        .and_then(|l| l.listener_arn())
                        .ok_or_else(|| {
                            Error::missing("elbv2", "CreateListener", "the listener's ARN")
                        })?
                        .to_string()
                }
            };
            match (p.guarded, origin_secret) {
                (true, Some(secret)) => ensure_header_rule(cx, &arn, tg, secret).await?,
                // The CDN was turned off: the rule admitting its header goes with it.
                _ if existed => remove_header_rule(cx, &arn).await?,
                _ => {}
            }
            listener_arns.push((p.port, arn));
        }
        // A listener on a port the inputs no longer name (listenerPort changed, certificate removed)
        // would keep serving: remove it.
        let stale: Vec<(u16, String)> = existing
            .iter()
            .filter_map(|l| l.listener_arn())
            .filter(|arn| !listener_arns.iter().any(|(_, a)| a == arn))
            .map(|arn| (0, arn.to_string()))
            .collect();
        remove(cx, &stale).await?;
        Ok(ListenersState { listener_arns })
    }

    /// The listeners that still exist; `None` when none do.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &ListenersState,
    ) -> Result<Option<ListenersState>, Error> {
        let live = live(cx, state).await?;
        let live: Vec<&str> = live.iter().filter_map(|l| l.listener_arn()).collect();
        let listener_arns: Vec<(u16, String)> = state
            .listener_arns
            .iter()
            .filter(|(_, a)| live.contains(&a.as_str()))
            .cloned()
            .collect();
        Ok((!listener_arns.is_empty()).then_some(ListenersState { listener_arns }))
    }

    /// Deletes the listeners (their rules go with them); ones already gone are done.
    async fn delete(&self, cx: &Ctx<'_>, state: &ListenersState) -> Result<(), Error> {
        remove(cx, &state.listener_arns).await
    }

    /// The listeners of the fleet's load balancer; `None` when it has none.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        lb: &LoadBalancerState,
    ) -> Result<Option<ListenersState>, Error> {
        Ok(state_of(&on_load_balancer(cx, &lb.arn).await?))
    }
}
