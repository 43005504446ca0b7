//! Client-side request rates: every fleet a provider process works on shares the token buckets of
//! each AWS service, sized to the rates AWS publishes, so ten fleets polling at once slow themselves
//! down instead of being throttled. The buckets sit in the HTTP connector of each service's client,
//! so they meter every attempt, the SDK's retries included; the SDK's adaptive retry mode backs off
//! further if AWS throttles anyway (another tool on the same account).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::time::Instant;

/// A token bucket: `burst` calls at once, then `per_second` calls a second.
#[derive(Debug)]
pub struct Bucket {
    per_second: f64,
    burst: f64,
    /// Tokens left and when they were counted.
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Takes a token, waiting for one to be refilled when the bucket is empty.
    pub async fn take(&self) {
        while let Some(wait) = self.try_take() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token if there is one (`None`), else says how long until there is.
    fn try_take(&self) -> Option<Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, counted) = *state;
        let now = Instant::now();
        let tokens =
            (tokens + now.duration_since(counted).as_secs_f64() * self.per_second).min(self.burst);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            return None;
        }
        *state = (tokens, now);
        Some(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
    }
}

/// The rate (calls a second) and burst of the bucket a call draws from, from AWS's published
/// request throttling: EC2 meters each action on its own, non-mutating ones (`Describe*`, `Get*`,
/// `List*`) at 20/s with a bucket of 100, `CreateTags` at 10/s with 100, other mutating ones at
/// 5/s with 50; ELB's non-mutating calls 10/s with 40, Route 53 the whole account at 10/s with 50.
/// Services that publish no rate get 10/s with 20 (ELB's and Route 53's sustained rate, with a
/// small burst).
pub fn published(service: &str, action: Option<&str>) -> (f64, f64) {
    match (service, action) {
        ("ec2", Some(a)) if ["Describe", "Get", "List"].iter().any(|p| a.starts_with(p)) => {
            (20.0, 100.0)
        }
        ("ec2", Some("CreateTags")) => (10.0, 100.0),
        ("ec2", _) => (5.0, 50.0),
        ("elbv2", _) => (10.0, 40.0),
        ("route53", _) => (10.0, 50.0),
        _ => (10.0, 20.0),
    }
}

/// The action a query-protocol request names (`Action=DescribeVpcs&...` in its form body).
fn action(body: Option<&[u8]>) -> Option<&str> {
    let body = std::str::from_utf8(body?).ok()?;
    body.split('&').find_map(|kv| kv.strip_prefix("Action="))
}

/// One service's buckets: one for the whole service, or (EC2) one per action.
#[derive(Debug)]
pub struct Meter {
    service: &'static str,
    buckets: Mutex<HashMap<String, Arc<Bucket>>>,
}

impl Meter {
    /// The buckets of `service`, all full.
    pub fn new(service: &'static str) -> Self {
        Self {
            service,
            buckets: Mutex::default(),
        }
    }

    /// The bucket a request with this body draws from.
    fn bucket(&self, body: Option<&[u8]>) -> Arc<Bucket> {
        let action = (self.service == "ec2").then(|| action(body)).flatten();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(action.unwrap_or_default().to_string());
        bucket
            .or_insert_with(|| {
                let (per_second, burst) = published(self.service, action);
                Arc::new(Bucket::new(per_second, burst))
            })
            .clone()
    }
}

/// The default HTTPS client (hyper 1 and rustls with aws-lc, proxies from the environment), as
/// the SDK builds it when given none; built once and shared by every service's metered client.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut b = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .proxy_config(ProxyConfig::from_env());
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.build()
    })
}

/// An HTTP client whose every request first takes a token from its bucket in `meter`.
#[derive(Debug, Clone)]
pub struct Metered {
    inner: SharedHttpClient,
    meter: Arc<Meter>,
}

impl Metered {
    /// `inner` metered by `meter`.
    pub fn new(inner: SharedHttpClient, meter: Arc<Meter>) -> Self {
        Self { inner, meter }
    }
}

impl HttpClient for Metered {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(MeteredConnector {
            inner: self.inner.http_connector(settings, components),
            meter: self.meter.clone(),
        })
    }
}

#[derive(Debug)]
struct MeteredConnector {
    inner: SharedHttpConnector,
    meter: Arc<Meter>,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let bucket = self.meter.bucket(request.body().bytes());
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            bucket.take().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bucket_lets_its_burst_through_then_its_rate() {
        let b = Bucket::new(10.0, 20.0);
        let start = Instant::now();
        for _ in 0..20 {
            b.take().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst is free");
        for _ in 0..50 {
            b.take().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((4.9..=5.1).contains(&took), "50 more at 10/s took {took} s");
    }

    #[test]
    fn ec2_meters_each_action_apart_and_other_services_as_a_whole() {
        let ec2 = Meter::new("ec2");
        let vpcs = || ec2.bucket(Some(b"Action=DescribeVpcs&Version=2016-11-15"));
        assert!(Arc::ptr_eq(&vpcs(), &vpcs()));
        let create = ec2.bucket(Some(b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"));
        assert!(!Arc::ptr_eq(&vpcs(), &create));
        assert_eq!((vpcs().per_second, create.per_second), (20.0, 5.0));
        let elb = Meter::new("elbv2");
        let a = elb.bucket(Some(b"Action=DescribeTargetHealth"));
        assert!(Arc::ptr_eq(
            &a,
            &elb.bucket(Some(b"Action=RegisterTargets"))
        ));
        assert_eq!(action(Some(b"Version=1&Action=ListX")), Some("ListX"));
        assert_eq!(action(None), None);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_sharing_a_bucket_share_its_rate() {
        let b = Arc::new(Bucket::new(5.0, 5.0));
        let start = Instant::now();
        let callers = (0..10).map(|_| {
            let b = b.clone();
            tokio::spawn(async move {
                for _ in 0..3 {
                    b.take().await;
                }
            })
        });
        futures::future::join_all(callers).await;
        // 30 calls: 5 at once, 25 more at 5/s.
        let took = start.elapsed().as_secs_f64();
        assert!((4.9..=5.2).contains(&took), "took {took} s");
    }
}
