//! The Ec2Fleet resource's inputs, as typed structs. The schema is generated from these (doc comments
//! become descriptions), and every default lives here, once.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::release::ArchiveInput;
use crate::resources::compute::auto_scaling_group::Capacity;
// The inputs of one sub-resource each, defined with it (the schema names them the same).
pub use crate::resources::compute::scheduled_actions::ScheduledAction;
pub use crate::resources::dns::record::Dns;
pub use crate::resources::lb::target_group::HealthCheck;

/// A secret string: its value never shows in `Debug` output (and so in no log line).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(pub String);

/// A plain string in the schema (its secrecy is declared on the property that holds it).
impl JsonSchema for SecretString {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

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
    /// the region's first three. Changing it replaces the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("replaceOnChanges" = true))]
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

    /// TCP port the application listens on; the target group forwards to it (a target group's port is
    /// fixed when it is made). Changing it replaces the fleet.
    #[serde(default = "defaults::app_port")]
    #[schemars(extend("replaceOnChanges" = true))]
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

    /// The app to release: a Pulumi Archive (a FileArchive of a folder or of a .zip, .tar or .tgz
    /// file, or an AssetArchive) with appspec.yml at its root. It is checked as the CodeDeploy agent
    /// reads it, zipped deterministically and uploaded to sourceKey only when its content changed,
    /// which starts the pipeline. Unset: releases are uploaded to sourceKey by other means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ArchiveInput>,

    /// Whether an update that uploads a release waits for the pipeline execution and the CodeDeploy
    /// deployment it starts, reporting their progress, and fails when the deployment fails (CodeDeploy
    /// then rolls back to the previous release). False: the upload ends the update.
    #[serde(default = "defaults::yes")]
    pub wait_for_release: bool,

    /// Static assets to sync into the asset bucket, as CDK's BucketDeployment: a Pulumi Archive
    /// whose files become objects at their paths. Only new or changed files are uploaded (by content
    /// hash), with content types from their extensions. Removing the input leaves the objects; they
    /// go with the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<ArchiveInput>,

    /// Whether syncing `assets` deletes the asset bucket's objects that are not in the archive.
    #[serde(default)]
    pub prune_assets: bool,

    /// The app's environment, secret: each entry becomes a SecureString parameter
    /// `/ec2fleet/<namePrefix>/env/<NAME>` in SSM Parameter Store (encrypted with the account's
    /// `aws/ssm` key), readable by the fleet's instance role. The example app's start script loads
    /// them into `/etc/ec2fleet/app.env` (mode 0600) for its service; a changed environment
    /// redeploys the current release so the app restarts with it. Names are environment-variable
    /// names; values are 1 to 4096 bytes. The values never reach the bundle, the user data,
    /// the logs or a plain output.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("secret" = true))]
    pub environment: BTreeMap<String, SecretString>,

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

impl FleetArgs {
    /// The group's sizes these inputs ask for; the desired capacity defaults to the minimum.
    pub fn capacity(&self) -> Capacity {
        Capacity {
            min: self.min_capacity,
            max: self.max_capacity,
            desired: self.desired_capacity.unwrap_or(self.min_capacity),
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
    /// Maximum cache TTL in seconds (at least 1: at 0 CloudFront turns caching off and then takes no
    /// query strings or cookies, which is what reaches the app).
    #[serde(default = "defaults::max_ttl")]
    pub max_ttl: u32,
    /// Whether the query string reaches the app. When true (the default), every query string is
    /// part of the cache key, so `?q=a` and `?q=b` are cached apart; when false, none is forwarded.
    #[serde(default = "defaults::yes")]
    pub cache_query_strings: bool,
    /// Whether the viewer's cookies reach the app. When true, every cookie is part of the cache key,
    /// so a page made for one user's cookies is never served to another; when false (the default),
    /// no cookie is forwarded and responses cannot depend on them. Headers are never forwarded.
    #[serde(default)]
    pub forward_cookies: bool,
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
            cache_query_strings: true,
            forward_cookies: false,
            certificate_arn: None,
            aliases: Vec::new(),
        }
    }
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
