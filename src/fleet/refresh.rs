//! Read (refresh): ask AWS about every recorded sub-resource at once, drop the records of those that
//! are gone (the next update makes them again), and report the settings that drift out of band.

use futures::future::join_all;

use super::plan::Node;
use super::state::{Made, Records};
use crate::aws::AwsError;
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::auto_scaling_group::{self, Capacity};
use crate::resources::compute::{launch_template, scheduled_actions};
use crate::resources::delivery::{
    codedeploy_application, deployment_group, event_rule, pipeline, trail,
};
use crate::resources::dns::record;
use crate::resources::iam::{instance_profile, role};
use crate::resources::lb::{listeners, load_balancer, target_group};
use crate::resources::network::{internet_gateway, route_table, security_group, subnets, vpc};
use crate::resources::observability::log_group;
use crate::resources::storage::bucket;
use crate::resources::Ctx;

/// What AWS has now.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The records of the sub-resources that still exist, brought up to date.
    pub records: Records,
    /// The Auto Scaling group's sizes, when it exists.
    pub capacity: Option<Capacity>,
}

impl Live {
    /// Whether nothing of the fleet is left in AWS (the AMI record is an input, not an object).
    pub fn is_gone(&self) -> bool {
        self.records.all().keys().all(|n| *n == Node::Ami)
    }
}

/// Reads every record in `have`, all at once.
pub async fn refresh(cx: &Ctx<'_>, have: &Records) -> Result<Live, AwsError> {
    let capacity = async {
        match &have.auto_scaling_group {
            Some(g) => auto_scaling_group::read(cx, g).await,
            None => Ok(None),
        }
    };
    let groups = [
        (Node::InstanceSecurityGroup, &have.instance_security_group),
        (
            Node::LoadBalancerSecurityGroup,
            &have.load_balancer_security_group,
        ),
    ];
    let recorded: Vec<_> = groups.iter().filter_map(|(_, g)| g.as_ref()).collect();
    let live_groups = security_group::read_many(cx, &recorded);
    let reads = join_all(have.all().into_values().map(|m| read(cx, m)));
    let (capacity, live_groups, reads) = tokio::join!(capacity, live_groups, reads);
    let mut records = Records::default();
    for r in reads {
        if let Some(m) = r? {
            records.insert(m);
        }
    }
    let live_groups = live_groups?;
    for (node, group) in groups {
        if group
            .as_ref()
            .is_some_and(|g| !live_groups.contains_key(&g.group_id))
        {
            records.remove(node);
        }
    }
    if capacity.as_ref().is_ok_and(Option::is_none) {
        // Scheduled actions die with their group.
        records.remove(Node::AutoScalingGroup);
        records.remove(Node::ScheduledActions);
    }
    Ok(Live {
        records,
        capacity: capacity?,
    })
}

/// One record as AWS has it now; `None` when the object is gone.
async fn read(cx: &Ctx<'_>, made: Made) -> Result<Option<Made>, AwsError> {
    Ok(match made {
        // Nothing in AWS to look at (the AMI is an input), or read in one call with its
        // neighbours in `refresh` (the group with its sizes, both security groups together).
        Made::Ami(_)
        | Made::AutoScalingGroup(_)
        | Made::InstanceSecurityGroup(_)
        | Made::LoadBalancerSecurityGroup(_) => Some(made),
        Made::Vpc(s) => vpc::read(cx, &s).await?.map(Made::Vpc),
        Made::Subnets(s) => subnets::read(cx, &s).await?.map(Made::Subnets),
        Made::InternetGateway(s) => internet_gateway::read(cx, &s)
            .await?
            .map(Made::InternetGateway),
        Made::RouteTable(s) => route_table::read(cx, &s).await?.map(Made::RouteTable),
        Made::InstanceRole(s) => role::read(cx, &s).await?.map(Made::InstanceRole),
        Made::CodeDeployRole(s) => role::read(cx, &s).await?.map(Made::CodeDeployRole),
        Made::PipelineRole(s) => role::read(cx, &s).await?.map(Made::PipelineRole),
        Made::EventsRole(s) => role::read(cx, &s).await?.map(Made::EventsRole),
        Made::InstanceProfile(s) => instance_profile::read(cx, &s)
            .await?
            .map(Made::InstanceProfile),
        Made::LogGroup(s) => log_group::read(cx, &s).await?.map(Made::LogGroup),
        Made::LaunchTemplate(s) => launch_template::read(cx, &s)
            .await?
            .map(Made::LaunchTemplate),
        Made::AssetBucket(s) => bucket::read(cx, &s).await?.map(Made::AssetBucket),
        Made::SourceBucket(s) => bucket::read(cx, &s).await?.map(Made::SourceBucket),
        Made::ArtifactBucket(s) => bucket::read(cx, &s).await?.map(Made::ArtifactBucket),
        Made::Trail(s) => trail::read(cx, &s).await?.map(Made::Trail),
        Made::LoadBalancer(s) => load_balancer::read(cx, &s).await?.map(Made::LoadBalancer),
        Made::TargetGroup(s) => target_group::read(cx, &s).await?.map(Made::TargetGroup),
        Made::Listeners(s) => listeners::read(cx, &s).await?.map(Made::Listeners),
        // An action deleted out of band is missing from the names: that is the drift to show.
        Made::ScheduledActions(s) => Some(Made::ScheduledActions(
            scheduled_actions::read(cx, &s).await?,
        )),
        Made::CodeDeployApplication(s) => codedeploy_application::read(cx, &s)
            .await?
            .map(Made::CodeDeployApplication),
        Made::DeploymentGroup(s) => deployment_group::read(cx, &s)
            .await?
            .map(Made::DeploymentGroup),
        Made::Pipeline(s) => pipeline::read(cx, &s).await?.map(Made::Pipeline),
        Made::EventRule(s) => event_rule::read(cx, &s).await?.map(Made::EventRule),
        Made::CachePolicy(s) => cache_policy::read(cx, &s).await?.map(Made::CachePolicy),
        Made::Distribution(s) => distribution::read(cx, &s).await?.map(Made::Distribution),
        Made::DnsRecord(s) => record::read(cx, &s).await?.map(Made::DnsRecord),
    })
}
