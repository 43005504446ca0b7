//! The group's sizes and its scheduled actions.

use std::collections::BTreeSet;

use super::schedule::{cron_problem, time_zone_problem};
use super::Errors;
use crate::fleet::args::{FleetArgs, ScheduledAction};

/// The largest size Auto Scaling's API takes (its sizes are 32-bit integers).
const MAX_SIZE: u32 = i32::MAX as u32;
/// Scheduled actions per Auto Scaling group (AWS's quota).
const MAX_ACTIONS: usize = 125;
/// Longest scheduled action name.
const MAX_NAME: usize = 255;

pub(super) fn check(a: &FleetArgs, e: &mut Errors) {
    if e.known(&["minCapacity", "maxCapacity", "desiredCapacity"]) {
        // A schedule may empty the group (0/0 at night); the group itself needs an instance.
        if a.max_capacity == 0 {
            e.push("maxCapacity", "must be at least 1");
        }
        sizes("", a.min_capacity, a.max_capacity, a.desired_capacity, e);
    }
    if e.known(&["scheduledActions"]) {
        scheduled_actions(&a.scheduled_actions, e);
    }
}

/// min <= desired <= max, each within what the API takes. `at` is the property path's prefix
/// (`scheduledActions[0].` or empty).
fn sizes(at: &str, min: u32, max: u32, desired: Option<u32>, e: &mut Errors) {
    for (name, v) in [
        ("minCapacity", Some(min)),
        ("maxCapacity", Some(max)),
        ("desiredCapacity", desired),
    ] {
        if let Some(v) = v.filter(|v| *v > MAX_SIZE) {
            e.push(
                format!("{at}{name}"),
                format!("{v} is more than the {MAX_SIZE} Auto Scaling takes"),
            );
        }
    }
    if min > max {
        e.push(
            format!("{at}minCapacity"),
            format!("{min} is more than maxCapacity {max}"),
        );
    }
    if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
        e.push(
            format!("{at}desiredCapacity"),
            format!("{d} is outside minCapacity..maxCapacity ({min}..{max})"),
        );
    }
}

fn scheduled_actions(actions: &[ScheduledAction], e: &mut Errors) {
    if actions.len() > MAX_ACTIONS {
        e.push(
            "scheduledActions",
            format!(
                "{} actions given; Auto Scaling takes at most {MAX_ACTIONS} per group",
                actions.len()
            ),
        );
    }
    let mut names = BTreeSet::new();
    for (i, s) in actions.iter().enumerate() {
        let at = format!("scheduledActions[{i}].");
        let chars = s.name.chars().count();
        if chars == 0 || chars > MAX_NAME {
            e.push(
                format!("{at}name"),
                format!("has {chars} characters; use 1 to {MAX_NAME}"),
            );
        } else if let Some(c) = s
            .name
            .chars()
            .find(|c| c.is_control() || *c == ':' || *c == '/')
        {
            e.push(format!("{at}name"), format!("holds {c:?}; use letters, digits, spaces and punctuation other than : and / (they separate the parts of the action's ARN)"));
        } else if !names.insert(&s.name) {
            e.push(
                format!("{at}name"),
                format!(
                    "{:?} is used by another scheduled action; names must be unique",
                    s.name
                ),
            );
        }
        if let Some(p) = cron_problem(&s.cron) {
            e.push(format!("{at}cron"), p);
        }
        sizes(&at, s.min_capacity, s.max_capacity, s.desired_capacity, e);
        if let Some(p) = s.time_zone.as_deref().and_then(time_zone_problem) {
            e.push(format!("{at}timeZone"), p);
        }
    }
}
