//! AWS access: one [`Clients`] value holds every SDK client, all built from one shared `SdkConfig`.

pub mod error;
pub mod rate;
pub mod wait;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;

pub use error::{Error, ErrorClass};
pub use wait::Waits;

use crate::config::ProviderConfig;

/// The one region whose ACM certificates CloudFront takes.
pub const CLOUDFRONT_CERTIFICATE_REGION: &str = "us-east-1";

/// Every AWS client the provider uses, sharing one configuration (region, credentials, retries).
#[derive(Clone, Debug)]
pub struct Clients {
    /// The region all clients talk to.
    pub region: String,
    /// EC2: VPC, subnets, gateways, security groups, launch templates.
    pub ec2: aws_sdk_ec2::Client,
    /// Elastic Load Balancing v2: the ALB, listeners, target groups.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// EC2 Auto Scaling.
    pub autoscaling: aws_sdk_autoscaling::Client,
    /// IAM: roles, policies, instance profiles.
    pub iam: aws_sdk_iam::Client,
    /// S3: asset and source buckets.
    pub s3: aws_sdk_s3::Client,
    /// CloudFront: distribution and cache policy.
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// Route 53: alias records.
    pub route53: aws_sdk_route53::Client,
    /// CodeDeploy: application and deployment group.
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// CodePipeline: the release pipeline.
    pub codepipeline: aws_sdk_codepipeline::Client,
    /// CloudTrail: the trail that turns source uploads into events.
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// EventBridge: the rule that starts the pipeline.
    pub events: aws_sdk_eventbridge::Client,
    /// SSM: the public AMI parameter.
    pub ssm: aws_sdk_ssm::Client,
    /// CloudWatch Logs: the application log group.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// STS: credential validation.
    pub sts: aws_sdk_sts::Client,
    /// ACM in the fleet's region: the load balancer's certificate (read only, in the preflight).
    pub acm: aws_sdk_acm::Client,
    /// ACM in us-east-1, where CloudFront's certificates live.
    pub acm_cloudfront: aws_sdk_acm::Client,
    /// The credentials' account ID, asked for once (ARNs and bucket policies need it).
    account: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

/// Builds one SDK client, its requests metered by its service's bucket, pointing it at the
/// configured endpoint for its service if there is one.
macro_rules! client {
    ($sdk:ident, $key:literal, $net:expr, $cfg:expr) => {{
        let mut b = $sdk::config::Builder::from(&$net.shared).http_client($net.metered($key));
        if let Some(url) = $cfg.endpoints.get($key) {
            b = b.endpoint_url(url);
        }
        $sdk::Client::from_conf(b.build())
    }};
}

/// What every client is built from: the shared SDK configuration, one HTTPS client, and the
/// request-rate buckets of each service (see [`rate`]).
struct Net {
    shared: aws_types::SdkConfig,
    https: aws_smithy_runtime_api::client::http::SharedHttpClient,
    meters: std::sync::Mutex<std::collections::HashMap<&'static str, std::sync::Arc<rate::Meter>>>,
}

impl Net {
    /// The HTTPS client metered by `service`'s buckets (the same buckets for every client of it).
    fn metered(&self, service: &'static str) -> rate::Metered {
        let mut meters = self.meters.lock().unwrap_or_else(|p| p.into_inner());
        let meter = meters
            .entry(service)
            .or_insert_with(|| std::sync::Arc::new(rate::Meter::new(service)));
        rate::Metered::new(self.https.clone(), meter.clone())
    }
}

/// Attempts per call when the configuration names none: enough for the adaptive mode to ride out
/// a burst of throttling from other clients of the account. (AWS calls adaptive mode experimental
/// and warns that one throttled resource slows the whole client; here the buckets keep the
/// provider under AWS's rates, so a throttle means another client is using the account's share,
/// and slowing the service's whole client is the cautious answer.)
const DEFAULT_ATTEMPTS: u32 = 8;

/// The partition a region's ARNs are in: `aws-cn` in China, `aws-us-gov` in GovCloud, the isolated
/// partitions in their regions (`aws-iso`, `aws-iso-b`, `aws-iso-e`, `aws-iso-f`), `aws` everywhere
/// else.
pub fn partition_of(region: &str) -> &'static str {
    const PARTITIONS: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

impl Clients {
    /// The partition of the clients' region, for the ARNs the fleet builds (`arn:PARTITION:...`).
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// Builds the clients for a checked configuration. `region` is the effective region.
    pub async fn new(cfg: &ProviderConfig, region: &str) -> Self {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_string()));
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        if let (Some(ak), Some(sk)) = (&cfg.access_key, &cfg.secret_key) {
            loader = loader.credentials_provider(Credentials::new(
                ak,
                sk,
                cfg.token.clone(),
                None,
                "ec2fleet-config",
            ));
        }
        let attempts = cfg.max_retries.unwrap_or(DEFAULT_ATTEMPTS);
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(attempts));
        let net = Net {
            shared: loader.load().await,
            https: rate::https_client(),
            meters: Default::default(),
        };
        let s3 = {
            let mut b =
                aws_sdk_s3::config::Builder::from(&net.shared).http_client(net.metered("s3"));
            if let Some(url) = cfg.endpoints.get("s3") {
                // Emulators and private endpoints serve buckets by path, not by virtual host.
                b = b.endpoint_url(url).force_path_style(true);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        };
        Self {
            region: region.to_string(),
            ec2: client!(aws_sdk_ec2, "ec2", net, cfg),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, "elbv2", net, cfg),
            autoscaling: client!(aws_sdk_autoscaling, "autoscaling", net, cfg),
            iam: client!(aws_sdk_iam, "iam", net, cfg),
            s3,
            cloudfront: client!(aws_sdk_cloudfront, "cloudfront", net, cfg),
            route53: client!(aws_sdk_route53, "route53", net, cfg),
            codedeploy: client!(aws_sdk_codedeploy, "codedeploy", net, cfg),
            codepipeline: client!(aws_sdk_codepipeline, "codepipeline", net, cfg),
            cloudtrail: client!(aws_sdk_cloudtrail, "cloudtrail", net, cfg),
            events: client!(aws_sdk_eventbridge, "events", net, cfg),
            ssm: client!(aws_sdk_ssm, "ssm", net, cfg),
            logs: client!(aws_sdk_cloudwatchlogs, "logs", net, cfg),
            sts: client!(aws_sdk_sts, "sts", net, cfg),
            acm: client!(aws_sdk_acm, "acm", net, cfg),
            acm_cloudfront: {
                let mut b = aws_sdk_acm::config::Builder::from(&net.shared)
                    .http_client(net.metered("acm"))
                    .region(Region::new(CLOUDFRONT_CERTIFICATE_REGION));
                if let Some(url) = cfg.endpoints.get("acm") {
                    b = b.endpoint_url(url);
                }
                aws_sdk_acm::Client::from_conf(b.build())
            },
            account: Default::default(),
        }
    }

    /// Checks that the credentials work, returning the account ID.
    pub async fn validate_credentials(&self) -> Result<String, Error> {
        self.account_id().await
    }

    /// The account the credentials belong to (one STS call per set of clients).
    pub async fn account_id(&self) -> Result<String, Error> {
        let id = self
            .account
            .get_or_try_init(|| async {
                let out = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(error::on("sts", "GetCallerIdentity"))?;
                out.account
                    .ok_or_else(|| Error::missing("sts", "GetCallerIdentity", "the account ID"))
            })
            .await?;
        Ok(id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::partition_of;

    #[test]
    fn the_partition_follows_the_region() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-2", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            // Only the whole prefix counts.
            ("usgov-1", "aws"),
            ("", "aws"),
        ] {
            assert_eq!(partition_of(region), partition, "{region}");
        }
    }
}
