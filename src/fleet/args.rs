//! The Ec2Fleet resource's inputs, as typed structs. The schema is generated from these (doc comments
//! become descriptions), and every default lives here, once.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Everything needed to stand up a load-balanced, continuously deployable EC2 fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetArgs {
    /// Prefix for the names of every AWS object the fleet makes (1-20 characters: lowercase letters, digits
    /// and hyphens, starting with a letter). Defaults to a name derived from the resource name by Pulumi's
    /// autonaming. Changing it replaces the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("replaceOnChanges" = true))]
    pub name_prefix: Option<String>,

    /// IPv4 CIDR block of the fleet's VPC (a /16 to /24). Public subnets, one per availability zone, are
    /// carved from it. Changing it replaces the fleet.
    #[serde(default = "defaults::vpc_cidr")]
    #[schemars(extend("replaceOnChanges" = true))]
    pub vpc_cidr: String,

    /// Availability zones to spread the fleet over (at least 2, as the load balancer requires). Defaults to
    /// the region's first three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zones: Option<Vec<String>>,

    /// EC2 instance type of the fleet's instances.
    #[serde(default = "defaults::instance_type")]
    pub instance_type: String,

    /// AMI ID for the instances. Defaults to the latest Amazon Linux 2023 image, read from the public SSM
    /// parameter when the fleet is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ami: Option<String>,

    /// Name of an existing EC2 key pair for SSH access. Optional: without it, use SSM Session Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,

    /// IPv4 CIDR blocks allowed to reach the instances on port 22. Defaults to none: SSH is closed.
    #[serde(default)]
    pub ssh_ingress_cidrs: Vec<String>,

    /// Major version of Node.js installed on the instances.
    #[serde(default = "defaults::node_version")]
    pub node_version: String,

    /// Extra shell commands appended to the instances' user data, run as root after Node.js, the
    /// CodeDeploy agent and the CloudWatch agent are installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,

    /// TCP port the application listens on; the target group forwards to it.
    #[serde(default = "defaults::app_port")]
    pub app_port: u16,

    /// Smallest number of instances in the Auto Scaling group.
    #[serde(default = "defaults::min_capacity")]
    pub min_capacity: u32,

    /// Largest number of instances in the Auto Scaling group.
    #[serde(default = "defaults::max_capacity")]
    pub max_capacity: u32,

    /// Initial number of instances (between minCapacity and maxCapacity). Defaults to minCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,

    /// Scheduled changes of the group's capacity. Defaults to the seed's: 4 instances from 10:00 UTC, 3 from
    /// 18:00 UTC.
    #[serde(default = "defaults::scheduled_actions")]
    pub scheduled_actions: Vec<ScheduledAction>,

    /// Port of the load balancer's public listener.
    #[serde(default = "defaults::listener_port")]
    pub listener_port: u16,

    /// ARN of an ACM certificate in the fleet's own region. When set, the load balancer also listens with
    /// HTTPS on 443 and redirects HTTP to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,

    /// Health check of the target group.
    #[serde(default)]
    pub health_check: HealthCheck,

    /// Seconds the load balancer keeps draining a target before deregistering it (0-3600).
    #[serde(default = "defaults::deregistration_delay")]
    pub deregistration_delay_seconds: u32,

    /// CodeDeploy deployment configuration used for releases.
    #[serde(default = "defaults::deployment_config")]
    pub deployment_config: String,

    /// Key of the release archive (a zip with appspec.yml) in the source bucket; uploading a new version
    /// starts the pipeline.
    #[serde(default = "defaults::source_key")]
    pub source_key: String,

    /// Whether deleting the fleet also deletes every object (all versions) in its asset and source
    /// buckets. When false, a non-empty one stops the delete with an error. The artifacts bucket
    /// (pipeline artifacts and the trail's logs, written only by the fleet) is always emptied.
    #[serde(default = "defaults::yes")]
    pub force_destroy: bool,

    /// The CloudFront distribution in front of the load balancer.
    #[serde(default)]
    pub cdn: Cdn,

    /// An optional DNS record pointing at the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,

    /// Tags applied to every taggable AWS object the fleet makes, merged over the provider's defaultTags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A scheduled change of the Auto Scaling group's capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduledAction {
    /// Name of the action, unique within the fleet.
    pub name: String,
    /// Recurrence in cron format (five fields: minute hour day-of-month month day-of-week).
    pub cron: String,
    /// Smallest group size from this time on.
    pub min_capacity: u32,
    /// Largest group size from this time on.
    pub max_capacity: u32,
    /// Group size to set at this time (between minCapacity and maxCapacity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,
    /// IANA time zone of the cron expression (for example Europe/London). Defaults to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The target group's health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    /// HTTP path probed on each instance.
    #[serde(default = "defaults::health_path")]
    pub path: String,
    /// Seconds between probes (5-300).
    #[serde(default = "defaults::health_interval")]
    pub interval_seconds: u32,
    /// Seconds to wait for a response (2-120, less than intervalSeconds).
    #[serde(default = "defaults::health_timeout")]
    pub timeout_seconds: u32,
    /// Consecutive successes before a target is healthy (2-10).
    #[serde(default = "defaults::healthy_threshold")]
    pub healthy_threshold: u32,
    /// Consecutive failures before a target is unhealthy (2-10).
    #[serde(default = "defaults::unhealthy_threshold")]
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            path: defaults::health_path(),
            interval_seconds: defaults::health_interval(),
            timeout_seconds: defaults::health_timeout(),
            healthy_threshold: defaults::healthy_threshold(),
            unhealthy_threshold: defaults::unhealthy_threshold(),
        }
    }
}

/// The CloudFront distribution in front of the load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cdn {
    /// Whether to put CloudFront in front of the load balancer. When on, the load balancer accepts traffic
    /// only from CloudFront.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// Default cache TTL in seconds.
    #[serde(default = "defaults::default_ttl")]
    pub default_ttl: u32,
    /// Minimum cache TTL in seconds.
    #[serde(default)]
    pub min_ttl: u32,
    /// Maximum cache TTL in seconds.
    #[serde(default = "defaults::max_ttl")]
    pub max_ttl: u32,
    /// ARN of an ACM certificate for the aliases. CloudFront only accepts certificates from us-east-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// Extra domain names (CNAMEs) the distribution answers to; they need certificateArn.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Default for Cdn {
    fn default() -> Self {
        Self {
            enabled: true,
            default_ttl: defaults::default_ttl(),
            min_ttl: 0,
            max_ttl: defaults::max_ttl(),
            certificate_arn: None,
            aliases: Vec::new(),
        }
    }
}

/// A Route 53 alias record (A and AAAA) pointing at the distribution (or at the load balancer when the CDN
/// is off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// ID of the hosted zone that holds the record.
    pub hosted_zone_id: String,
    /// The zone's domain name; with no recordName the record is made at the zone apex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
    /// Fully qualified name of the record (inside the zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_name: Option<String>,
}

/// Defaults, named so serde, the schema and `Default` impls share them.
mod defaults {
    use super::ScheduledAction;

    pub fn vpc_cidr() -> String {
        "10.0.0.0/16".into()
    }
    pub fn instance_type() -> String {
        "t3.micro".into()
    }
    pub fn node_version() -> String {
        "22".into()
    }
    pub fn app_port() -> u16 {
        3000
    }
    pub fn min_capacity() -> u32 {
        3
    }
    pub fn max_capacity() -> u32 {
        4
    }
    pub fn scheduled_actions() -> Vec<ScheduledAction> {
        let action = |name: &str, hour: u32, size: u32| ScheduledAction {
            name: name.into(),
            cron: format!("0 {hour} * * *"),
            min_capacity: size,
            max_capacity: size,
            desired_capacity: None,
            time_zone: None,
        };
        vec![
            action("ScaleUpInMorning", 10, 4),
            action("ScaleDownAtNight", 18, 3),
        ]
    }
    pub fn listener_port() -> u16 {
        80
    }
    pub fn health_path() -> String {
        "/".into()
    }
    pub fn health_interval() -> u32 {
        10
    }
    pub fn health_timeout() -> u32 {
        5
    }
    pub fn healthy_threshold() -> u32 {
        2
    }
    pub fn unhealthy_threshold() -> u32 {
        2
    }
    pub fn deregistration_delay() -> u32 {
        10
    }
    pub fn deployment_config() -> String {
        "CodeDeployDefault.HalfAtATime".into()
    }
    pub fn source_key() -> String {
        "source.zip".into()
    }
    pub fn yes() -> bool {
        true
    }
    pub fn default_ttl() -> u32 {
        10
    }
    pub fn max_ttl() -> u32 {
        3600
    }
}
