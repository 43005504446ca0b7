//! The one list of a fleet's sub-resources. Each line registers a node: its record field, the
//! [`Reconciler`] that makes it, the nodes it needs first (its edges in the graph), the node it lives
//! inside (found through it on import, gone with it on refresh) or is only found through (`via`: the
//! AMI, an input recorded, not an object, stays when its template is gone), and how the fleet builds its narrow
//! spec from the fleet's inputs and its dependencies' records. Everything else — the [`Node`] enum,
//! the typed [`Records`], and the dispatch that apply, read, delete, discover and re-tag iterate over —
//! is generated from this list, so adding a sub-resource is one new file under `src/resources` and one
//! line here.

use std::any::{Any, TypeId};

use serde::{Deserialize, Serialize};

use super::{FleetArgs, FleetCtx};
use crate::aws::Error;
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::{ami, auto_scaling_group, launch_template, scheduled_actions};
use crate::resources::delivery::{
    codedeploy_application, deployment_group, event_rule, pipeline, release, trail,
};
use crate::resources::dns::record;
use crate::resources::iam::{
    codedeploy_role, events_role, instance_profile, instance_role, pipeline_role,
};
use crate::resources::lb::{listeners, load_balancer, target_group};
use crate::resources::network::{
    instance_security_group, internet_gateway, load_balancer_security_group, route_table,
    security_group, subnets, vpc,
};
use crate::resources::observability::log_group;
use crate::resources::secrets::environment;
use crate::resources::storage::{assets, bucket};
use crate::resources::tagging::Target;
use crate::resources::Reconciler;

/// `Some(Node::X)` for a node declared `within X`, `None` otherwise.
macro_rules! parent {
    () => {
        None
    };
    ($p:ident) => {
        Some(Node::$p)
    };
}

/// Generates the fleet's node machinery from the list below (see the module docs).
macro_rules! nodes {
    ($(
        $(#[doc = $doc:literal])*
        $node:ident $field:ident: $ty:ty = |$rf:pat_param| $value:expr,
        after [$($dep:ident),*] $(, within $parent:ident)? $(, via $via:ident)?,
        spec |$f:ident, $d:ident| $spec:expr;
    )*) => {
        /// One AWS sub-resource of a fleet.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub enum Node {
            $($(#[doc = $doc])* $node,)*
        }

        impl Node {
            /// Every node a fleet can have, in the list's order.
            pub const ALL: &'static [Node] = &[$(Node::$node),*];

            /// The node's name, as its objects' `ec2fleet:node` tag says.
            pub fn name(self) -> &'static str {
                match self {
                    $(Node::$node => stringify!($node),)*
                }
            }

            /// The nodes whose records this one's spec is built from: its edges in the graph.
            pub fn after(self) -> &'static [Node] {
                match self {
                    $(Node::$node => &[$(Node::$dep),*],)*
                }
            }

            /// The node this one lives inside, if any: it is found through it on import and is gone
            /// when it is gone.
            pub fn within(self) -> Option<Node> {
                match self {
                    $(Node::$node => parent!($($parent)?),)*
                }
            }

            /// The node this one is found through on import: the one it lives inside, or the one
            /// that refers to it (the AMI, through the launch template that launches it).
            pub fn found_through(self) -> Option<Node> {
                match self {
                    $(Node::$node => parent!($($parent)?).or(parent!($($via)?)),)*
                }
            }

            /// Identifies the reconciler type, so nodes sharing one are read together.
            fn reconciler(self) -> TypeId {
                match self {
                    $(Node::$node => TypeId::of::<$ty>(),)*
                }
            }

            /// Whether the record type of the node this one lives inside (or `()`) is what its
            /// reconciler's discover takes.
            #[cfg(test)]
            fn within_fits(self) -> bool {
                match self {
                    $(Node::$node => {
                        let want = TypeId::of::<<$ty as Reconciler>::Within>();
                        match self.found_through() {
                            None => want == TypeId::of::<()>(),
                            Some(p) => want == p.record_type(),
                        }
                    })*
                }
            }

            #[cfg(test)]
            fn record_type(self) -> TypeId {
                match self {
                    $(Node::$node => TypeId::of::<<$ty as Reconciler>::Record>(),)*
                }
            }

            /// Makes (or adopts and brings up to date) this node's object from the records of the
            /// nodes it comes after.
            pub async fn apply(self, fleet: &FleetCtx<'_>, deps: &Records) -> Result<Made, Error> {
                match self {
                    $(Node::$node => {
                        let ($f, $d) = (fleet, deps);
                        let spec: Result<<$ty as Reconciler>::Spec, Error> = $spec;
                        let spec = spec?;
                        let reconciler: $ty = (|$rf: &FleetCtx<'_>| $value)(fleet);
                        Ok(Made::$node(reconciler.apply(&fleet.cx(self), &spec).await?))
                    })*
                }
            }

            /// This fleet's object, found by its identity; `found` holds what was found already
            /// (the node this one is found through).
            pub async fn discover(self, fleet: &FleetCtx<'_>, found: &Records) -> Result<Option<Made>, Error> {
                match self {
                    $(Node::$node => {
                        let within = match self.found_through() {
                            None => Some(&() as &dyn Any),
                            Some(p) => found.get(p),
                        };
                        let Some(within) = within else { return Ok(None) };
                        let within = within.downcast_ref().ok_or_else(|| self.mistyped())?;
                        let reconciler: $ty = (|$rf: &FleetCtx<'_>| $value)(fleet);
                        let got = reconciler.discover(&fleet.cx(self), within).await?;
                        Ok(got.map(Made::$node))
                    })*
                }
            }

            /// Reads the records of `nodes`, which all share this node's reconciler, in one go.
            async fn read_together(self, fleet: &FleetCtx<'_>, have: &Records, nodes: &[Node]) -> Result<Vec<(Node, Option<Made>)>, Error> {
                match self {
                    $(Node::$node => {
                        let records = nodes
                            .iter()
                            .map(|n| have.get(*n).and_then(|r| r.downcast_ref()).ok_or_else(|| n.mistyped()))
                            .collect::<Result<Vec<&<$ty as Reconciler>::Record>, Error>>()?;
                        let reconciler: $ty = (|$rf: &FleetCtx<'_>| $value)(fleet);
                        let got = reconciler.read_many(&fleet.cx(self), &records).await?;
                        let mut out = Vec::new();
                        for (n, r) in nodes.iter().zip(got) {
                            out.push((*n, r.map(|r| Made::of(*n, Box::new(r))).transpose()?));
                        }
                        Ok(out)
                    })*
                }
            }

            fn mistyped(self) -> Error {
                Error::Internal(format!("{self}: a record of another node's type"))
            }
        }

        /// The record one sub-resource produced.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Made {
            $(
                #[doc = concat!("The record of [`Node::", stringify!($node), "`].")]
                $node(<$ty as Reconciler>::Record),
            )*
        }

        impl Made {
            /// The node this record belongs to.
            pub fn node(&self) -> Node {
                match self {
                    $(Made::$node(_) => Node::$node,)*
                }
            }

            /// `node`'s record from a value of its record type.
            fn of(node: Node, record: Box<dyn Any>) -> Result<Made, Error> {
                match node {
                    $(Node::$node => Ok(Made::$node(*record.downcast().map_err(|_| node.mistyped())?)),)*
                }
            }

            /// Deletes the object; gone is done.
            pub async fn delete(&self, fleet: &FleetCtx<'_>) -> Result<(), Error> {
                match self {
                    $(Made::$node(r) => {
                        let reconciler: $ty = (|$rf: &FleetCtx<'_>| $value)(fleet);
                        reconciler.delete(&fleet.cx(Node::$node), r).await
                    })*
                }
            }

            /// The objects that carry the fleet's tags.
            pub fn tag_targets(&self, fleet: &FleetCtx<'_>) -> Vec<Target> {
                match self {
                    $(Made::$node(r) => {
                        let reconciler: $ty = (|$rf: &FleetCtx<'_>| $value)(fleet);
                        reconciler.tag_targets(r)
                    })*
                }
            }
        }

        /// Every sub-resource's record; absent ones were not made (or are gone).
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct Records {
            $(
                #[doc = concat!("The record of [`Node::", stringify!($node), "`].")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<<$ty as Reconciler>::Record>,
            )*
        }

        impl Records {
            /// Stores one record.
            pub fn insert(&mut self, made: Made) {
                match made {
                    $(Made::$node(v) => self.$field = Some(v),)*
                }
            }

            /// Forgets one node's record.
            pub fn remove(&mut self, node: Node) {
                match node {
                    $(Node::$node => self.$field = None,)*
                }
            }

            /// One node's record, as a value of its record type.
            fn get(&self, node: Node) -> Option<&dyn Any> {
                match node {
                    $(Node::$node => self.$field.as_ref().map(|r| r as &dyn Any),)*
                }
            }

            /// Every record, by node.
            pub fn all(&self) -> std::collections::BTreeMap<Node, Made> {
                let mut out = std::collections::BTreeMap::new();
                $(
                    if let Some(v) = &self.$field {
                        out.insert(Node::$node, Made::$node(v.clone()));
                    }
                )*
                out
            }
        }
    };
}

nodes! {
    /// The AMI to launch: given, or the latest Amazon Linux 2023 from SSM.
    Ami ami: ami::Ami = |_| ami::Ami, after [], via LaunchTemplate,
        spec |f, _d| Ok(ami::Spec { image: f.args.ami.clone(), instance_type: f.args.instance_type.clone() });
    /// The VPC.
    Vpc vpc: vpc::Vpc = |_| vpc::Vpc, after [],
        spec |f, _d| Ok(vpc::Spec { cidr: f.args.vpc_cidr.clone() });
    /// One public subnet per availability zone.
    Subnets subnets: subnets::Subnets = |_| subnets::Subnets, after [Vpc],
        spec |f, d| Ok(subnets::Spec { vpc: d.need(Node::Vpc)?, zones: f.args.availability_zones.clone(), instance_type: f.args.instance_type.clone() });
    /// The internet gateway, attached to the VPC.
    InternetGateway internet_gateway: internet_gateway::InternetGateway = |_| internet_gateway::InternetGateway, after [Vpc],
        spec |_f, d| Ok(internet_gateway::Spec { vpc: d.need(Node::Vpc)? });
    /// The public route table (default route to the gateway) and its subnet associations.
    RouteTable route_table: route_table::RouteTable = |_| route_table::RouteTable, after [Vpc, InternetGateway, Subnets],
        spec |_f, d| Ok(route_table::Spec { vpc: d.need(Node::Vpc)?, gateway: d.need(Node::InternetGateway)?, subnets: d.need(Node::Subnets)? });
    /// The load balancer's security group (CloudFront's prefix list when the CDN is on).
    LoadBalancerSecurityGroup load_balancer_security_group: security_group::SecurityGroup = |_| security_group::SecurityGroup, after [Vpc],
        spec |f, d| Ok(security_group::Spec::LoadBalancer(load_balancer_security_group::Spec { vpc: d.need(Node::Vpc)?, ports: f.open_ports(), cdn: f.args.cdn.enabled }));
    /// The instances' security group (app port from the load balancer, SSH only from given CIDRs).
    InstanceSecurityGroup instance_security_group: security_group::SecurityGroup = |_| security_group::SecurityGroup, after [Vpc, LoadBalancerSecurityGroup],
        spec |f, d| Ok(security_group::Spec::Instances(instance_security_group::Spec { vpc: d.need(Node::Vpc)?, load_balancer_group: d.need(Node::LoadBalancerSecurityGroup)?, app_port: f.args.app_port, ssh_cidrs: f.args.ssh_ingress_cidrs.clone() }));
    /// The asset bucket.
    AssetBucket asset_bucket: bucket::Bucket = |f| bucket::Bucket::assets(f.args.force_destroy), after [],
        spec |_f, _d| Ok(());
    /// The `assets` input synced into the asset bucket.
    Assets assets: assets::Assets = |f| assets::Assets { prune: f.args.prune_assets }, after [AssetBucket], within AssetBucket,
        spec |f, d| Ok(assets::Spec { bucket: d.need::<bucket::BucketState>(Node::AssetBucket)?.name, files: f.asset_files()? });
    /// The versioned source bucket releases are uploaded to.
    SourceBucket source_bucket: bucket::Bucket = |f| bucket::Bucket::source(f.args.force_destroy), after [],
        spec |_f, _d| Ok(());
    /// The bucket holding the pipeline's artifacts and the trail's logs (only the fleet writes it).
    ArtifactBucket artifact_bucket: bucket::Bucket = |_| bucket::Bucket::artifacts(), after [],
        spec |_f, _d| Ok(());
    /// The CloudTrail trail recording writes to the source archive.
    Trail trail: trail::Trail = |_| trail::Trail, after [SourceBucket, ArtifactBucket],
        spec |f, d| Ok(trail::Spec { source: d.need(Node::SourceBucket)?, logs: d.need(Node::ArtifactBucket)?, source_key: f.args.source_key.clone() });
    /// The CloudWatch log group for the application's logs.
    LogGroup log_group: log_group::LogGroup = |_| log_group::LogGroup, after [],
        spec |_f, _d| Ok(());
    /// The app's environment: SecureString parameters under the fleet's path.
    Environment environment: environment::Environment = |_| environment::Environment, after [],
        spec |f, _d| Ok(environment::Spec { path: environment::path(f.prefix), values: f.environment() });
    /// The instances' IAM role and its policies.
    InstanceRole instance_role: instance_role::InstanceRole = |_| instance_role::InstanceRole, after [AssetBucket, SourceBucket, ArtifactBucket, LogGroup],
        spec |f, d| Ok(instance_role::Spec {
            asset_bucket: d.need::<bucket::BucketState>(Node::AssetBucket)?.name,
            source_bucket: d.need::<bucket::BucketState>(Node::SourceBucket)?.name,
            artifact_bucket: d.need::<bucket::BucketState>(Node::ArtifactBucket)?.name,
            log_group_arn: d.need::<log_group::LogGroupState>(Node::LogGroup)?.arn,
            parameter_path: environment::path(f.prefix),
        });
    /// The instance profile carrying the role.
    InstanceProfile instance_profile: instance_profile::InstanceProfile = |_| instance_profile::InstanceProfile, after [InstanceRole],
        spec |_f, d| Ok(instance_profile::Spec { role: d.need(Node::InstanceRole)? });
    /// The launch template.
    LaunchTemplate launch_template: launch_template::LaunchTemplate = |_| launch_template::LaunchTemplate, after [Ami, InstanceSecurityGroup, InstanceProfile, LogGroup],
        spec |f, d| Ok(launch_template::Spec {
            ami: d.need(Node::Ami)?,
            security_group: d.need(Node::InstanceSecurityGroup)?,
            profile: d.need(Node::InstanceProfile)?,
            log_group: d.need(Node::LogGroup)?,
            instance_type: f.args.instance_type.clone(),
            key_name: f.args.key_name.clone(),
            node_version: f.args.node_version.clone(),
            app_port: f.args.app_port,
            health_path: f.args.health_check.path.clone(),
            user_data: f.args.user_data.clone(),
        });
    /// The application load balancer. Internet-facing load balancers need subnets with a route to
    /// the internet.
    LoadBalancer load_balancer: load_balancer::LoadBalancer = |_| load_balancer::LoadBalancer, after [Subnets, RouteTable, LoadBalancerSecurityGroup],
        spec |_f, d| Ok(load_balancer::Spec { subnets: d.need(Node::Subnets)?, security_group: d.need(Node::LoadBalancerSecurityGroup)? });
    /// The target group on the app port.
    TargetGroup target_group: target_group::TargetGroup = |_| target_group::TargetGroup, after [Vpc],
        spec |f, d| Ok(target_group::Spec {
            vpc: d.need(Node::Vpc)?,
            port: f.args.app_port,
            health_check: f.args.health_check.clone(),
            deregistration_delay_seconds: f.args.deregistration_delay_seconds,
        });
    /// The listeners (HTTP, and HTTPS with a redirect when a certificate is given) and the
    /// origin-header rule.
    Listeners listeners: listeners::Listeners = |_| listeners::Listeners, after [LoadBalancer, TargetGroup], within LoadBalancer,
        spec |f, d| Ok(listeners::Spec {
            load_balancer: d.need(Node::LoadBalancer)?,
            target_group: d.need(Node::TargetGroup)?,
            port: f.args.listener_port,
            certificate_arn: f.args.certificate_arn.clone(),
            origin_secret: f.cdn_secret().map(str::to_string),
        });
    /// The Auto Scaling group.
    AutoScalingGroup auto_scaling_group: auto_scaling_group::AutoScalingGroup = |_| auto_scaling_group::AutoScalingGroup, after [LaunchTemplate, Subnets, RouteTable, TargetGroup],
        spec |f, d| Ok(auto_scaling_group::Spec {
            template: d.need(Node::LaunchTemplate)?,
            subnets: d.need(Node::Subnets)?,
            target_group: d.need(Node::TargetGroup)?,
            sizes: f.args.capacity(),
            previous: f.previous.map(FleetArgs::capacity),
        });
    /// The group's scheduled actions.
    ScheduledActions scheduled_actions: scheduled_actions::ScheduledActions = |_| scheduled_actions::ScheduledActions, after [AutoScalingGroup], within AutoScalingGroup,
        spec |f, d| Ok(scheduled_actions::Spec { group: d.need(Node::AutoScalingGroup)?, actions: f.args.scheduled_actions.clone() });
    /// The role CodeDeploy assumes. It may pass the instances' role to EC2 (groups launched from a
    /// launch template), so it is made after that role and deleted before it; its policy names that
    /// role by the fleet's naming, so its spec is `()`.
    CodeDeployRole code_deploy_role: codedeploy_role::CodeDeployRole = |_| codedeploy_role::CodeDeployRole, after [InstanceRole],
        spec |_f, _d| Ok(());
    /// The CodeDeploy application.
    CodeDeployApplication code_deploy_application: codedeploy_application::CodeDeployApplication = |_| codedeploy_application::CodeDeployApplication, after [],
        spec |_f, _d| Ok(());
    /// The CodeDeploy deployment group on the group and target group.
    DeploymentGroup deployment_group: deployment_group::DeploymentGroup = |_| deployment_group::DeploymentGroup, after [CodeDeployApplication, CodeDeployRole, AutoScalingGroup, TargetGroup], within CodeDeployApplication,
        spec |f, d| Ok(deployment_group::Spec {
            application: d.need(Node::CodeDeployApplication)?,
            role: d.need(Node::CodeDeployRole)?,
            group: d.need(Node::AutoScalingGroup)?,
            target_group: d.need(Node::TargetGroup)?,
            config: f.args.deployment_config.clone(),
        });
    /// The role CodePipeline assumes; its CodeDeploy grants name the application, the fleet's
    /// deployment group in it and the deployment configuration.
    PipelineRole pipeline_role: pipeline_role::PipelineRole = |_| pipeline_role::PipelineRole, after [SourceBucket, ArtifactBucket, CodeDeployApplication],
        spec |f, d| Ok(pipeline_role::Spec {
            source: d.need::<bucket::BucketState>(Node::SourceBucket)?.name,
            artifacts: d.need::<bucket::BucketState>(Node::ArtifactBucket)?.name,
            application: d.need::<codedeploy_application::ApplicationState>(Node::CodeDeployApplication)?.name,
            group: deployment_group::group_name(f.prefix),
            deployment_config: f.args.deployment_config.clone(),
        });
    /// The two-stage pipeline: S3 source, CodeDeploy deploy.
    Pipeline pipeline: pipeline::Pipeline = |_| pipeline::Pipeline, after [PipelineRole, SourceBucket, ArtifactBucket, DeploymentGroup],
        spec |f, d| Ok(pipeline::Spec {
            role: d.need(Node::PipelineRole)?,
            source: d.need(Node::SourceBucket)?,
            artifacts: d.need(Node::ArtifactBucket)?,
            group: d.need(Node::DeploymentGroup)?,
            source_key: f.args.source_key.clone(),
        });
    /// The role EventBridge assumes to start the pipeline; it may start only this pipeline, so it
    /// needs the pipeline's ARN.
    EventsRole events_role: events_role::EventsRole = |_| events_role::EventsRole, after [Pipeline],
        spec |_f, d| Ok(events_role::Spec { pipeline_arn: d.need::<pipeline::PipelineState>(Node::Pipeline)?.arn });
    /// The EventBridge rule that starts the pipeline when the source archive changes.
    EventRule event_rule: event_rule::EventRule = |_| event_rule::EventRule, after [EventsRole, Pipeline, Trail, SourceBucket],
        spec |f, d| Ok(event_rule::Spec {
            source: d.need(Node::SourceBucket)?,
            pipeline: d.need(Node::Pipeline)?,
            role: d.need(Node::EventsRole)?,
            source_key: f.args.source_key.clone(),
        });
    /// The release: the `release` input zipped and uploaded to the source key when its content
    /// changed, which starts the pipeline. Made after the fleet serves (see [`super::plan`]), so
    /// CodeDeploy finds the group's instances in service.
    Release release: release::Release = |f| release::Release { key: f.args.source_key.clone() }, after [SourceBucket, EventRule, DeploymentGroup, AutoScalingGroup], within SourceBucket,
        spec |f, d| Ok(release::Spec { bucket: d.need::<bucket::BucketState>(Node::SourceBucket)?.name, zip: f.release_zip()? });
    /// The CloudFront cache policy.
    CachePolicy cache_policy: cache_policy::CachePolicy = |_| cache_policy::CachePolicy, after [],
        spec |f, _d| Ok(cache_policy::Spec {
            default_ttl: f.args.cdn.default_ttl,
            min_ttl: f.args.cdn.min_ttl,
            max_ttl: f.args.cdn.max_ttl,
            query_strings: f.args.cdn.cache_query_strings,
            cookies: f.args.cdn.forward_cookies,
        });
    /// The CloudFront distribution.
    Distribution distribution: distribution::Distribution = |_| distribution::Distribution, after [CachePolicy, LoadBalancer],
        spec |f, d| Ok(distribution::Spec {
            load_balancer: d.need(Node::LoadBalancer)?,
            cache_policy: d.need(Node::CachePolicy)?,
            origin_secret: f.cdn_secret().unwrap_or_default().to_string(),
            http_port: f.args.listener_port,
            certificate_arn: f.args.cdn.certificate_arn.clone(),
            aliases: f.args.cdn.aliases.clone(),
        });
    /// The Route 53 alias records: to the distribution, or to the load balancer when the CDN is off.
    DnsRecord dns_record: record::DnsRecord = |_| record::DnsRecord, after [Distribution, LoadBalancer],
        spec |f, d| Ok(record::Spec {
            dns: f.args.dns.clone().ok_or_else(|| Error::Internal("DnsRecord without dns inputs".into()))?,
            target: match d.distribution.clone() {
                Some(dist) => record::Target::Distribution(dist),
                None => record::Target::LoadBalancer(d.need(Node::LoadBalancer)?),
            },
        });
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromIterator<Made> for Records {
    fn from_iter<I: IntoIterator<Item = Made>>(iter: I) -> Self {
        let mut r = Records::default();
        r.extend(iter);
        r
    }
}

impl Extend<Made> for Records {
    fn extend<I: IntoIterator<Item = Made>>(&mut self, iter: I) {
        for m in iter {
            self.insert(m);
        }
    }
}

impl Records {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }

    /// A copy of the record a spec needs; missing means the graph's edges are wrong, which is a bug
    /// reported rather than a panic mid-deployment.
    pub fn need<T: Clone + 'static>(&self, node: Node) -> Result<T, Error> {
        let record = self
            .get(node)
            .ok_or_else(|| Error::Internal(format!("{node} is needed but has no record")))?;
        record
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| node.mistyped())
    }

    /// Reads every record, asking each reconciler once for all of its nodes (both security groups
    /// in one describe); `None` for the objects that are gone.
    pub async fn read_all(&self, fleet: &FleetCtx<'_>) -> Result<Vec<(Node, Option<Made>)>, Error> {
        let mut groups: Vec<Vec<Node>> = Vec::new();
        for node in self.all().into_keys() {
            match groups
                .iter_mut()
                .find(|g| g[0].reconciler() == node.reconciler())
            {
                Some(g) => g.push(node),
                None => groups.push(vec![node]),
            }
        }
        let reads = groups.iter().map(|g| g[0].read_together(fleet, self, g));
        let read = futures::future::try_join_all(reads).await?;
        Ok(read.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Queue;

    #[test]
    fn every_edge_names_a_node_and_the_graph_is_acyclic() {
        let edges: Vec<(Node, Vec<Node>)> =
            Node::ALL.iter().map(|n| (*n, n.after().to_vec())).collect();
        let q = Queue::new(edges).expect("closed and acyclic");
        for n in Node::ALL {
            assert!(q.contains(n), "{n} is missing from the graph");
        }
    }

    #[test]
    fn every_node_is_discovered_through_the_record_its_reconciler_takes() {
        for n in Node::ALL {
            assert!(n.within_fits(), "{n}: Within type and parent record differ");
        }
    }

    #[test]
    fn records_round_trip_through_the_engine_state_by_node_name() {
        let mut r = Records::default();
        r.insert(Made::Ami("ami-1".into()));
        r.insert(Made::Vpc(vpc::VpcState {
            vpc_id: "vpc-1".into(),
            cidr: "10.0.0.0/16".into(),
        }));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"ami": "ami-1", "vpc": {"vpcId": "vpc-1", "cidr": "10.0.0.0/16"}})
        );
        let back: Records = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            back.all().keys().copied().collect::<Vec<_>>(),
            [Node::Ami, Node::Vpc]
        );
        assert_eq!(
            back.need::<vpc::VpcState>(Node::Vpc).unwrap().vpc_id,
            "vpc-1"
        );
        assert!(matches!(
            back.need::<String>(Node::Vpc),
            Err(Error::Internal(_))
        ));
        assert!(matches!(
            back.need::<String>(Node::Subnets),
            Err(Error::Internal(_))
        ));
        let mut gone = back;
        gone.remove(Node::Vpc);
        assert_eq!(gone.all().len(), 1);
    }
}
