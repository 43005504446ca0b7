//! One `pulumi up` of a fleet, create or update: delete what cannot be changed in place, make or
//! bring up to date every sub-resource, wait until the fleet serves, then delete what the inputs no
//! longer want. Any step that stops leaves an [`Incomplete`] holding every record still standing.

use tokio::sync::watch;

use super::apply::{apply, Incomplete};
use super::destroy::{remove_nodes, unwanted};
use super::plan::Node;
use super::ready;
use super::retag::retag;
use super::state::Records;
use crate::aws::AwsError;
use crate::resources::Ctx;

/// Progress per node: the node, how many are done, how many in all.
pub type Progress<'a> = &'a (dyn Fn(Node, usize, usize) + Send + Sync);

/// How this run treats what the fleet already has.
#[derive(Debug, Clone, Default)]
pub struct How {
    /// Reuse recorded sub-resources as they are (same inputs: only the missing ones are made).
    pub resume: bool,
    /// Nodes to delete before anything is made (see [`super::destroy::replaced`]).
    pub replace: Vec<Node>,
    /// When the fleet's tags changed: the keys to take off every object (see
    /// [`super::retag::removed_keys`]).
    pub retag: Option<Vec<String>>,
}

/// Converges the fleet of `cx.args` from `have`. `made` hears of each node made, `removed` of each
/// node deleted.
pub async fn converge(
    cx: &Ctx<'_>,
    secret: Option<&str>,
    have: Records,
    how: How,
    cancel: watch::Receiver<bool>,
    (made, removed): (Progress<'_>, Progress<'_>),
) -> Result<Records, Incomplete> {
    let have = remove_nodes(cx, have, &how.replace, cancel.clone(), removed).await?;
    let records = apply(cx, secret, have, how.resume, cancel.clone(), made).await?;
    if let Some(removed) = &how.retag {
        if let Err(failed) = retag(cx, &records, removed).await {
            return Err(stopped(records, failed));
        }
    }
    if let Err(e) = ready::wait(cx, &records).await {
        return Err(stopped(records, (Node::AutoScalingGroup, e)));
    }
    let unwanted = unwanted(cx, &records);
    remove_nodes(cx, records, &unwanted, cancel, removed).await
}

/// A run that stopped after every node was made: all records stand, one step failed.
fn stopped(records: Records, failed: (Node, AwsError)) -> Incomplete {
    Incomplete {
        records,
        failed: vec![failed],
        not_started: Vec::new(),
        cancelled: false,
    }
}
