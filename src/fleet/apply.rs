//! Create and resume: walk the fleet's graph forwards, making every sub-resource not yet recorded as
//! soon as its dependencies exist. On a failure nothing new starts, running nodes finish, and the
//! caller gets every record made so far with the reasons, so the next run makes only what is missing.

use std::time::Duration;

use tokio::sync::watch;

use super::nodes::{Made, Node, Records};
use super::{plan, FleetCtx};
use crate::aws::{Error, ErrorClass};
use crate::graph::{run, Queue};

/// How many sub-resources may be in flight at once: every node is I/O-bound, and the widest level
/// of the graph has about ten.
pub const PARALLEL: usize = 16;

/// A run that did not finish: what exists, and why the rest does not.
#[derive(Debug)]
pub struct Incomplete {
    /// Every record made, before and during the run.
    pub records: Records,
    /// The nodes that failed, with their errors.
    pub failed: Vec<(Node, Error)>,
    /// Nodes that never started.
    pub not_started: Vec<Node>,
    /// Whether a cancel stopped it.
    pub cancelled: bool,
}

impl Incomplete {
    /// A run that stopped before it started anything: `records` stand, `node` failed with `error`.
    pub fn at(records: Records, node: Node, error: Error) -> Self {
        Self {
            records,
            failed: vec![(node, error)],
            not_started: Vec::new(),
            cancelled: false,
        }
    }
}

/// The run queue over `graph`; a graph that is not closed and acyclic is a bug in the node list
/// (which a test keeps from happening), reported as a failure of the graph's first node, with every
/// record kept, rather than a panic mid-request.
pub(super) fn queue(
    graph: Vec<(Node, Vec<Node>)>,
    records: &Records,
) -> Result<Queue<Node>, Box<Incomplete>> {
    let first = graph.first().map_or(Node::ALL[0], |(n, _)| *n);
    Queue::new(graph).map_err(|e| {
        let error = Error::Internal(format!("the fleet's graph: {e}"));
        Box::new(Incomplete::at(records.clone(), first, error))
    })
}

/// Makes every sub-resource of `fleet.args`. With `resume`, the ones `have` records are reused as
/// they are; without it (new inputs), every node reconciles its object again. Either way the result
/// keeps every record of `have` not remade, so nothing made before is ever forgotten. `progress`
/// hears of each node as it finishes.
pub async fn apply(
    fleet: &FleetCtx<'_>,
    have: Records,
    resume: bool,
    cancel: watch::Receiver<bool>,
    progress: &(dyn Fn(Node, usize, usize) + Send + Sync),
) -> Result<Records, Incomplete> {
    let graph = plan::graph(fleet.args);
    let total = graph.len();
    let queue = queue(graph, &have).map_err(|inc| *inc)?;
    let mut done = if resume {
        have.all()
    } else {
        Default::default()
    };
    done.retain(|n, _| queue.contains(n));
    let finished = std::sync::atomic::AtomicUsize::new(done.len());
    let outcome = run::run(queue, done, PARALLEL, cancel, |node, deps| {
        let deps: Records = deps.into_values().collect();
        let finished = &finished;
        async move {
            let made = apply_when_propagated(fleet, node, &deps).await?;
            let n = finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            progress(node, n, total);
            Ok(made)
        }
    })
    .await;
    // Records of nodes outside this run's graph (say, a CDN being turned off) are kept: they exist
    // until something deletes them.
    let mut records = have;
    let complete = outcome.is_complete();
    for made in outcome.done.into_values() {
        records.insert(made);
    }
    if complete {
        return Ok(records);
    }
    Err(Incomplete {
        records,
        failed: outcome.failed,
        not_started: outcome.not_started,
        cancelled: outcome.cancelled,
    })
}

/// [`Node::apply`], retried while AWS reports a just-made IAM object as unknown (instance profiles
/// take a few seconds to reach EC2 and Auto Scaling): that exact error, not a blind sleep.
async fn apply_when_propagated(
    fleet: &FleetCtx<'_>,
    node: Node,
    deps: &Records,
) -> Result<Made, Error> {
    let what = format!("IAM changes to reach AWS before {node}");
    fleet
        .waits
        .while_failing(
            ErrorClass::PropagationDelay,
            &what,
            Duration::from_secs(2),
            || node.apply(fleet, deps),
        )
        .await
}
