//! What a fleet records about the AWS objects it made: one typed record per sub-resource. The engine
//! keeps it in the resource's state (under a property users never see), so an update, a refresh or a
//! delete knows exactly what exists, and a failed create can be resumed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::Node;
use crate::resources::cdn::cache_policy::CachePolicyState;
use crate::resources::cdn::distribution::DistributionState;
use crate::resources::compute::auto_scaling_group::AutoScalingGroupState;
use crate::resources::compute::launch_template::LaunchTemplateState;
use crate::resources::compute::scheduled_actions::ScheduledActionsState;
use crate::resources::delivery::codedeploy_application::ApplicationState;
use crate::resources::delivery::deployment_group::DeploymentGroupState;
use crate::resources::delivery::event_rule::EventRuleState;
use crate::resources::delivery::pipeline::PipelineState;
use crate::resources::delivery::trail::TrailState;
use crate::resources::dns::record::DnsRecordState;
use crate::resources::iam::instance_profile::InstanceProfileState;
use crate::resources::iam::role::RoleState;
use crate::resources::lb::listeners::ListenersState;
use crate::resources::lb::load_balancer::LoadBalancerState;
use crate::resources::lb::target_group::TargetGroupState;
use crate::resources::network::internet_gateway::InternetGatewayState;
use crate::resources::network::route_table::RouteTableState;
use crate::resources::network::security_group::SecurityGroupState;
use crate::resources::network::subnets::SubnetsState;
use crate::resources::network::vpc::VpcState;
use crate::resources::observability::log_group::LogGroupState;
use crate::resources::storage::bucket::BucketState;

/// Declares, from one list, the record type of every node: [`Made`] (one node's record, as the graph
/// runner passes it around) and [`Records`] (all of them, as stored).
macro_rules! records {
    ($($node:ident $field:ident: $ty:ty),* $(,)?) => {
        /// The record one sub-resource produced.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Made {
            $(
                #[doc = concat!("The record of [`Node::", stringify!($node), "`].")]
                $node($ty),
            )*
        }

        impl Made {
            /// The node this record belongs to.
            pub fn node(&self) -> Node {
                match self {
                    $(Made::$node(_) => Node::$node,)*
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
                pub $field: Option<$ty>,
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

            /// Every record, by node.
            pub fn all(&self) -> BTreeMap<Node, Made> {
                let mut out = BTreeMap::new();
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

records! {
    Ami ami: String,
    Vpc vpc: VpcState,
    Subnets subnets: SubnetsState,
    InternetGateway internet_gateway: InternetGatewayState,
    RouteTable route_table: RouteTableState,
    InstanceSecurityGroup instance_security_group: SecurityGroupState,
    LoadBalancerSecurityGroup load_balancer_security_group: SecurityGroupState,
    InstanceRole instance_role: RoleState,
    InstanceProfile instance_profile: InstanceProfileState,
    LogGroup log_group: LogGroupState,
    LaunchTemplate launch_template: LaunchTemplateState,
    AssetBucket asset_bucket: BucketState,
    SourceBucket source_bucket: BucketState,
    ArtifactBucket artifact_bucket: BucketState,
    Trail trail: TrailState,
    LoadBalancer load_balancer: LoadBalancerState,
    TargetGroup target_group: TargetGroupState,
    Listeners listeners: ListenersState,
    AutoScalingGroup auto_scaling_group: AutoScalingGroupState,
    ScheduledActions scheduled_actions: ScheduledActionsState,
    CodeDeployRole code_deploy_role: RoleState,
    CodeDeployApplication code_deploy_application: ApplicationState,
    DeploymentGroup deployment_group: DeploymentGroupState,
    PipelineRole pipeline_role: RoleState,
    Pipeline pipeline: PipelineState,
    EventsRole events_role: RoleState,
    EventRule event_rule: EventRuleState,
    CachePolicy cache_policy: CachePolicyState,
    Distribution distribution: DistributionState,
    DnsRecord dns_record: DnsRecordState,
}

impl FromIterator<Made> for Records {
    fn from_iter<I: IntoIterator<Item = Made>>(iter: I) -> Self {
        let mut r = Records::default();
        for m in iter {
            r.insert(m);
        }
        r
    }
}

impl Records {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }
}

/// A record a node needs from one of its dependencies; missing means the graph is wrong, which is a
/// bug, not an AWS problem, but it is reported rather than panicking mid-deployment.
pub fn need<T>(record: &Option<T>, node: Node) -> Result<&T, crate::aws::AwsError> {
    record.as_ref().ok_or_else(|| {
        crate::aws::AwsError::conflict(
            "ec2fleet",
            "plan",
            format!("internal error: {node} is needed but has no record"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_the_engine_state_by_node_name() {
        let mut r = Records::default();
        r.insert(Made::Ami("ami-1".into()));
        r.insert(Made::Vpc(VpcState {
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
        let mut gone = back;
        gone.remove(Node::Vpc);
        assert_eq!(gone.all().len(), 1);
    }
}
