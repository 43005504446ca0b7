//! Delete: walk the recorded sub-resources' graph backwards, in parallel, each delete idempotent (gone
//! is done), so a delete interrupted at any point can simply be run again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::watch;

use super::apply::{Incomplete, PARALLEL};
use super::plan::{self, Node};
use super::state::{Made, Records};
use super::FleetArgs;
use crate::aws::{AwsError, ErrorClass};
use crate::graph::{run, Queue};
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::{auto_scaling_group, launch_template, scheduled_actions};
use crate::resources::delivery::{
    codedeploy_application, deployment_group, event_rule, pipeline, trail,
};
use crate::resources::dns::record;
use crate::resources::iam::{
    codedeploy_role, events_role, instance_profile, instance_role, pipeline_role,
};
use crate::resources::lb::{listeners, load_balancer, target_group};
use crate::resources::network::{internet_gateway, route_table, security_group, subnets, vpc};
use crate::resources::observability::log_group;
use crate::resources::storage::bucket;
use crate::resources::Ctx;

/// Deletes every recorded sub-resource, dependents first. On failure, the error carries the records
/// of what still exists.
pub async fn destroy(
    cx: &Ctx<'_>,
    records: &Records,
    cancel: watch::Receiver<bool>,
    progress: &(dyn Fn(Node, usize, usize) + Send + Sync),
) -> Result<(), Incomplete> {
    let present = records.all();
    let keep: BTreeSet<Node> = present.keys().copied().collect();
    let total = keep.len();
    let queue = Queue::new(plan::restricted(&keep))
        .expect("a restricted fleet graph is closed and acyclic (tested)")
        .reversed();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let outcome = run::run(queue, BTreeMap::new(), PARALLEL, cancel, |node, _| {
        let made = present.get(&node).cloned();
        let finished = &finished;
        async move {
            if let Some(made) = made {
                remove_when_free(cx, &made).await?;
            }
            let n = finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            progress(node, n, total);
            Ok::<(), AwsError>(())
        }
    })
    .await;
    let mut left = records.clone();
    for node in outcome.done.keys() {
        left.remove(*node);
    }
    if outcome.is_complete() {
        return Ok(());
    }
    Err(Incomplete {
        records: left,
        failed: outcome.failed,
        not_started: outcome.not_started,
        cancelled: outcome.cancelled,
    })
}

/// Nodes whose object an update cannot turn into what the new inputs want, so it deletes them first:
/// the DNS record when its zone, name or target (the distribution or the load balancer) changes.
pub fn replaced(old: &FleetArgs, new: &FleetArgs) -> Vec<Node> {
    let mut out = Vec::new();
    if old.dns != new.dns || old.cdn.enabled != new.cdn.enabled {
        out.push(Node::DnsRecord);
    }
    out
}

/// Nodes recorded but not in the graph of `cx.args` (the CDN turned off, DNS removed).
pub fn unwanted(cx: &Ctx<'_>, records: &Records) -> Vec<Node> {
    let wanted: Vec<Node> = plan::graph(cx.args).into_iter().map(|(n, _)| n).collect();
    records
        .all()
        .into_keys()
        .filter(|n| !wanted.contains(n))
        .collect()
}

/// Deletes the recorded objects of `nodes` (in graph order) and returns the records left. On failure
/// the error carries every record still standing, the others' included.
pub async fn remove_nodes(
    cx: &Ctx<'_>,
    mut records: Records,
    nodes: &[Node],
    cancel: watch::Receiver<bool>,
    progress: &(dyn Fn(Node, usize, usize) + Send + Sync),
) -> Result<Records, Incomplete> {
    let doomed: Records = records
        .all()
        .into_iter()
        .filter(|(n, _)| nodes.contains(n))
        .map(|(_, m)| m)
        .collect();
    if doomed.is_empty() {
        return Ok(records);
    }
    let result = destroy(cx, &doomed, cancel, progress).await;
    for node in nodes {
        records.remove(*node);
    }
    result.map(|()| records.clone()).map_err(|mut inc| {
        for made in inc.records.all().into_values() {
            records.insert(made);
        }
        inc.records = records;
        inc
    })
}

/// [`remove`], retried while AWS still sees something depending on the object (a network interface
/// AWS is still releasing, say): that exact error, polled, bounded by the request's deadline.
async fn remove_when_free(cx: &Ctx<'_>, made: &Made) -> Result<(), AwsError> {
    let what = format!("AWS to release what still depends on {}", made.node());
    cx.waits
        .while_failing(
            ErrorClass::DependencyViolation,
            &what,
            Duration::from_secs(5),
            || remove(cx, made),
        )
        .await
}

/// Deletes one sub-resource; gone is done.
async fn remove(cx: &Ctx<'_>, made: &Made) -> Result<(), AwsError> {
    match made {
        // The AMI is not ours: nothing to delete.
        Made::Ami(_) => Ok(()),
        Made::Vpc(s) => vpc::delete(cx, s).await,
        Made::Subnets(s) => subnets::delete(cx, s).await,
        Made::InternetGateway(s) => internet_gateway::delete(cx, s).await,
        Made::RouteTable(s) => route_table::delete(cx, s).await,
        Made::InstanceSecurityGroup(s) | Made::LoadBalancerSecurityGroup(s) => {
            security_group::delete(cx, s).await
        }
        Made::InstanceRole(s) => instance_role::delete(cx, s).await,
        Made::InstanceProfile(s) => instance_profile::delete(cx, s).await,
        Made::LogGroup(s) => log_group::delete(cx, s).await,
        Made::LaunchTemplate(s) => launch_template::delete(cx, s).await,
        Made::AssetBucket(s) | Made::SourceBucket(s) => bucket::delete(cx, s).await,
        Made::ArtifactBucket(s) => bucket::delete_with_objects(cx, s).await,
        Made::Trail(s) => trail::delete(cx, s).await,
        Made::LoadBalancer(s) => load_balancer::delete(cx, s).await,
        Made::TargetGroup(s) => target_group::delete(cx, s).await,
        Made::Listeners(s) => listeners::delete(cx, s).await,
        Made::AutoScalingGroup(s) => auto_scaling_group::delete(cx, s).await,
        Made::ScheduledActions(s) => scheduled_actions::delete(cx, s).await,
        Made::CodeDeployRole(s) => codedeploy_role::delete(cx, s).await,
        Made::CodeDeployApplication(s) => codedeploy_application::delete(cx, s).await,
        Made::DeploymentGroup(s) => deployment_group::delete(cx, s).await,
        Made::PipelineRole(s) => pipeline_role::delete(cx, s).await,
        Made::Pipeline(s) => pipeline::delete(cx, s).await,
        Made::EventsRole(s) => events_role::delete(cx, s).await,
        Made::EventRule(s) => event_rule::delete(cx, s).await,
        Made::CachePolicy(s) => cache_policy::delete(cx, s).await,
        Made::Distribution(s) => distribution::delete(cx, s).await,
        Made::DnsRecord(s) => record::delete(cx, s).await,
    }
}
