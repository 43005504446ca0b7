//! One `pulumi up` of a fleet, create or update: delete what cannot be changed in place, make or
//! bring up to date every sub-resource, wait until the fleet serves, then delete what the inputs no
//! longer want. Any step that stops leaves an [`Incomplete`] holding every record still standing.

use tokio::sync::watch;

use super::apply::{apply, Incomplete};
use super::destroy::{remove_nodes, unwanted};
use super::nodes::{Node, Records};
use super::retag::retag;
use super::FleetCtx;
use super::{follow, plan, ready};

/// Progress per node: the node, how many are done, how many in all.
pub type Progress<'a> = &'a (dyn Fn(Node, usize, usize) + Send + Sync);

/// How this run treats what the fleet already has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct How {
    /// Reuse recorded sub-resources as they are (same inputs: only the missing ones are made).
    pub resume: bool,
    /// Nodes to delete before anything is made (see [`super::destroy::replaced`]).
    pub replace: Vec<Node>,
    /// When the fleet's tags changed: the keys to take off every object (see
    /// [`super::retag::removed_keys`]).
    pub retag: Option<Vec<String>>,
}

/// Converges the fleet of `fleet.args` from `have`. `made` hears of each node made, `removed` of
/// each node deleted.
pub async fn converge(
    fleet: &FleetCtx<'_>,
    have: Records,
    how: How,
    cancel: watch::Receiver<bool>,
    (made, removed): (Progress<'_>, Progress<'_>),
) -> Result<Records, Incomplete> {
    let environment_before = have.environment.clone();
    // Each step boxed, so the run's future holds pointers rather than every step's state inline.
    let have = Box::pin(remove_nodes(
        fleet,
        have,
        &how.replace,
        cancel.clone(),
        removed,
    ))
    .await?;
    let records = Box::pin(apply(fleet, have, how.resume, cancel.clone(), made)).await?;
    if let Some(removed) = &how.retag {
        if let Err((node, e)) = retag(fleet, &records, removed).await {
            return Err(Incomplete::at(records, node, e));
        }
    }
    if let Err((node, e)) = Box::pin(ready::wait(fleet, &records)).await {
        return Err(Incomplete::at(records, node, e));
    }
    let environment_changed = records.environment != environment_before;
    let records = Box::pin(release(fleet, records, made, environment_changed)).await?;
    let unwanted = unwanted(fleet.args, &records);
    Box::pin(remove_nodes(fleet, records, &unwanted, cancel, removed)).await
}

/// Uploads the release when the inputs have one and the fleet serves (see [`plan::AFTER_READY`]),
/// then follows it until it is deployed (see [`follow`]); a changed environment deploys it again.
async fn release(
    fleet: &FleetCtx<'_>,
    mut records: Records,
    made: Progress<'_>,
    environment_changed: bool,
) -> Result<Records, Incomplete> {
    if fleet.args.release.is_none() {
        return Ok(records);
    }
    let node = plan::AFTER_READY;
    let before = records.release.clone();
    // Boxed: the dispatch future holds every reconciler's, and converge already holds one.
    match Box::pin(node.apply(fleet, &records)).await {
        Ok(release) => {
            records.insert(release);
            made(node, 1, 1);
        }
        Err(e) => return Err(Incomplete::at(records, node, e)),
    }
    Box::pin(follow::settle(fleet, records, before, environment_changed)).await
}
