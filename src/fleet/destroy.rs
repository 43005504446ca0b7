//! Delete: walk the recorded sub-resources' graph backwards, in parallel, each delete idempotent (gone
//! is done), so a delete interrupted at any point can simply be run again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::watch;

use super::apply::{queue, Incomplete, PARALLEL};
use super::nodes::{Made, Node, Records};
use super::{plan, FleetArgs, FleetCtx};
use crate::aws::{Error, ErrorClass};
use crate::graph::run;

/// Deletes every recorded sub-resource, dependents first. On failure, the error carries the records
/// of what still exists.
pub async fn destroy(
    fleet: &FleetCtx<'_>,
    records: &Records,
    cancel: watch::Receiver<bool>,
    progress: &(dyn Fn(Node, usize, usize) + Send + Sync),
) -> Result<(), Incomplete> {
    let present = records.all();
    let keep: BTreeSet<Node> = present.keys().copied().collect();
    let total = keep.len();
    let queue = queue(plan::teardown(&keep), records)
        .map_err(|inc| *inc)?
        .reversed();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let outcome = run::run(queue, BTreeMap::new(), PARALLEL, cancel, |node, _| {
        let made = present.get(&node).cloned();
        let finished = &finished;
        async move {
            if let Some(made) = made {
                remove_when_free(fleet, &made).await?;
            }
            let n = finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            progress(node, n, total);
            Ok::<(), Error>(())
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
/// the DNS record when its zone, name or target (the distribution or the load balancer) changes;
/// the environment's parameters when the input is emptied.
pub fn replaced(old: &FleetArgs, new: &FleetArgs) -> Vec<Node> {
    let mut out = Vec::new();
    if old.dns != new.dns || old.cdn.enabled != new.cdn.enabled {
        out.push(Node::DnsRecord);
    }
    // An environment taken away goes first, so the release deployed again for the change finds
    // none left to load.
    if !old.environment.is_empty() && new.environment.is_empty() {
        out.push(Node::Environment);
    }
    out
}

/// Nodes recorded but not in the graph of `args` (the CDN turned off, DNS removed). A release stays
/// when the `release` input goes: instances Auto Scaling launches later are deployed from it, so
/// it goes only with the fleet. Assets stay too, as BucketDeployment retains them: the app may
/// still serve them.
pub fn unwanted(args: &FleetArgs, records: &Records) -> Vec<Node> {
    let wanted: Vec<Node> = plan::graph(args).into_iter().map(|(n, _)| n).collect();
    records
        .all()
        .into_keys()
        .filter(|n| !wanted.contains(n) && ![plan::AFTER_READY, Node::Assets].contains(n))
        .collect()
}

/// Deletes the recorded objects of `nodes` (in graph order) and returns the records left. On failure
/// the error carries every record still standing, the others' included.
pub async fn remove_nodes(
    fleet: &FleetCtx<'_>,
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
    let result = destroy(fleet, &doomed, cancel, progress).await;
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

/// [`Made::delete`], retried while AWS still sees something depending on the object (a network
/// interface AWS is still releasing, say): that exact error, polled, bounded by the request's deadline.
async fn remove_when_free(fleet: &FleetCtx<'_>, made: &Made) -> Result<(), Error> {
    let what = format!("AWS to release what still depends on {}", made.node());
    fleet
        .waits
        .while_failing(
            ErrorClass::DependencyViolation,
            &what,
            Duration::from_secs(5),
            || made.delete(fleet),
        )
        .await
}
