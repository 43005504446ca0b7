//! An update that changes the fleet's `tags` or the provider's `defaultTags` re-tags every object the
//! fleet has: the new tags go on, the removed keys come off (unless the generated Name still wants
//! them).

use std::collections::BTreeMap;

use futures::future::join_all;

use super::plan::Node;
use super::state::{Made, Records};
use crate::aws::AwsError;
use crate::resources::tagging::{retag as retag_one, Target};
use crate::resources::Ctx;

/// The tag keys to take off, when the fleet's tags (see [`crate::resources::fleet_tags`]) changed
/// from `old` to `new`; `None` when they did not.
pub fn removed_keys(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Option<Vec<String>> {
    (old != new).then(|| {
        old.keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect()
    })
}

/// Brings the tags of every recorded object to `cx.tags`, taking `removed` off; all at once. The
/// first failure is returned with its node.
pub async fn retag(
    cx: &Ctx<'_>,
    records: &Records,
    removed: &[String],
) -> Result<(), (Node, AwsError)> {
    let jobs = records
        .all()
        .into_iter()
        .flat_map(|(node, made)| targets(&made).into_iter().map(move |t| (node, t)));
    let results = join_all(jobs.map(|(node, target)| async move {
        let set = cx.tags(node);
        let remove: Vec<String> = removed
            .iter()
            .filter(|k| !set.contains_key(*k))
            .cloned()
            .collect();
        retag_one(cx, &target, &set, &remove)
            .await
            .map_err(|e| (node, e))
    }))
    .await;
    results.into_iter().collect()
}

/// The taggable objects of one record. Buckets re-tag themselves on every update; the AMI, scheduled
/// actions, cache policy, listeners and DNS record carry no fleet tags.
fn targets(made: &Made) -> Vec<Target> {
    use Target::*;
    match made {
        Made::Vpc(s) => vec![Ec2(s.vpc_id.clone())],
        Made::Subnets(s) => s.subnet_ids.iter().cloned().map(Ec2).collect(),
        Made::InternetGateway(s) => vec![Ec2(s.internet_gateway_id.clone())],
        Made::RouteTable(s) => vec![Ec2(s.route_table_id.clone())],
        Made::InstanceSecurityGroup(s) | Made::LoadBalancerSecurityGroup(s) => {
            vec![Ec2(s.group_id.clone())]
        }
        Made::LaunchTemplate(s) => vec![Ec2(s.launch_template_id.clone())],
        Made::LoadBalancer(s) => vec![Elb(s.arn.clone())],
        Made::TargetGroup(s) => vec![Elb(s.arn.clone())],
        Made::AutoScalingGroup(s) => vec![AutoScalingGroup(s.name.clone())],
        Made::InstanceRole(s)
        | Made::CodeDeployRole(s)
        | Made::PipelineRole(s)
        | Made::EventsRole(s) => {
            vec![Role(s.role_name.clone())]
        }
        Made::InstanceProfile(s) => vec![InstanceProfile(s.name.clone())],
        Made::LogGroup(s) => vec![LogGroup(s.arn.clone())],
        Made::Trail(s) => vec![Trail(s.arn.clone())],
        Made::CodeDeployApplication(s) => vec![CodeDeploy(format!("application:{}", s.name))],
        Made::DeploymentGroup(s) => vec![CodeDeploy(format!(
            "deploymentgroup:{}/{}",
            s.application, s.name
        ))],
        Made::Pipeline(s) => vec![Pipeline(s.arn.clone())],
        Made::EventRule(s) => vec![EventRule(s.arn.clone())],
        Made::Distribution(s) => vec![Distribution(s.arn.clone())],
        Made::Ami(_)
        | Made::AssetBucket(_)
        | Made::SourceBucket(_)
        | Made::ArtifactBucket(_)
        | Made::Listeners(_)
        | Made::ScheduledActions(_)
        | Made::CachePolicy(_)
        | Made::DnsRecord(_) => vec![],
    }
}
