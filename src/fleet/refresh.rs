//! Read (refresh): ask AWS about every recorded sub-resource at once, drop the records of those that
//! are gone (the next update makes them again), and report the settings that drift out of band.

use super::nodes::{Node, Records};
use super::{FleetArgs, FleetCtx};
use crate::aws::Error;
use crate::resources::compute::auto_scaling_group::Capacity;

/// The input properties a refresh may change: what [`Live::drift`] writes.
pub const DRIFTING: [&str; 3] = ["minCapacity", "maxCapacity", "scheduledActions"];

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

    /// Puts what drifted out of band into the inputs: the group's sizes, and the scheduled actions
    /// that still exist. A refresh then shows the change, and the next update restores the declared
    /// values.
    pub fn drift(&self, args: &mut FleetArgs) {
        if let Some(c) = self.capacity {
            args.min_capacity = c.min;
            args.max_capacity = c.max;
        }
        if let Some(s) = &self.records.scheduled_actions {
            args.scheduled_actions.retain(|a| s.names.contains(&a.name));
        }
    }
}

/// Reads every record in `have`, all at once.
pub async fn refresh(fleet: &FleetCtx<'_>, have: &Records) -> Result<Live, Error> {
    let mut records: Records = have
        .read_all(fleet)
        .await?
        .into_iter()
        .filter_map(|(_, made)| made)
        .collect();
    // What lives inside an object that is gone is gone with it (scheduled actions with their group).
    let (had, present) = (have.all(), records.all());
    for node in had.keys() {
        let parent_gone = node
            .within()
            .is_some_and(|p| had.contains_key(&p) && !present.contains_key(&p));
        if parent_gone {
            records.remove(*node);
        }
    }
    // The live sizes are drift to report, not part of what the fleet records.
    let capacity = records
        .auto_scaling_group
        .as_mut()
        .and_then(|g| g.capacity.take());
    Ok(Live { records, capacity })
}
