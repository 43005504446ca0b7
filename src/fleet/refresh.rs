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
    /// values. Sizes one of the fleet's own scheduled actions sets are not drift: the schedule put
    /// them there.
    pub fn drift(&self, args: &mut FleetArgs) {
        if let Some(c) = self.capacity.filter(|c| !scheduled(args, c)) {
            args.min_capacity = c.min;
            args.max_capacity = c.max;
        }
        if let Some(s) = &self.records.scheduled_actions {
            args.scheduled_actions.retain(|a| s.names.contains(&a.name));
        }
    }
}

/// Whether `live` are the sizes one of the fleet's scheduled actions sets.
fn scheduled(args: &FleetArgs, live: &Capacity) -> bool {
    args.scheduled_actions.iter().any(|a| {
        (a.min_capacity, a.max_capacity) == (live.min, live.max)
            && a.desired_capacity.is_none_or(|d| d == live.desired)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn live(min: u32, max: u32, desired: u32) -> Live {
        Live {
            records: Records::default(),
            capacity: Some(Capacity { min, max, desired }),
        }
    }

    #[test]
    fn sizes_the_schedule_set_are_not_drift_but_a_resize_by_hand_is() {
        let declared: FleetArgs = crate::fleet::parse(serde_json::json!({})).unwrap();
        let cases = [
            ((4, 4, 4), (3, 4), "the morning scale-up"),
            ((3, 3, 3), (3, 4), "the night scale-down"),
            ((3, 4, 3), (3, 4), "as declared"),
            ((2, 9, 2), (2, 9), "resized by hand"),
            ((4, 5, 4), (4, 5), "not a scheduled size"),
        ];
        for ((min, max, desired), want, what) in cases {
            let mut args = declared.clone();
            live(min, max, desired).drift(&mut args);
            assert_eq!((args.min_capacity, args.max_capacity), want, "{what}");
        }
    }
}
