//! An update that changes the fleet's `tags` or the provider's `defaultTags` re-tags every object the
//! fleet has: the new tags go on, the removed keys come off (unless the generated Name still wants
//! them).

use std::collections::BTreeMap;

use futures::future::join_all;

use super::nodes::{Node, Records};
use super::FleetCtx;
use crate::aws::Error;
use crate::resources::tagging::retag as retag_one;

/// The tag keys to take off, when the fleet's tags (see [`crate::identity::fleet_tags`]) changed
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

/// Brings the tags of every recorded object to the fleet's tags, taking `removed` off; all at once.
/// The first failure is returned with its node.
pub async fn retag(
    fleet: &FleetCtx<'_>,
    records: &Records,
    removed: &[String],
) -> Result<(), (Node, Error)> {
    let jobs = records
        .all()
        .into_iter()
        .flat_map(|(node, made)| made.tag_targets(fleet).into_iter().map(move |t| (node, t)));
    let results = join_all(jobs.map(|(node, target)| async move {
        let cx = fleet.cx(node);
        let set = cx.tags();
        let remove: Vec<String> = removed
            .iter()
            .filter(|k| !set.contains_key(*k))
            .cloned()
            .collect();
        retag_one(&cx, &target, &set, &remove)
            .await
            .map_err(|e| (node, e))
    }))
    .await;
    results.into_iter().collect()
}
