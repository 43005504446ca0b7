//! Scheduled actions: Auto Scaling's recurrence is a five-field Unix cron expression (minute, hour,
//! day of month, month, day of week), each field `*`, a value, a range `a-b`, a step `*/n` or
//! `a-b/n`, or a comma-separated list of those; months and days of the week may be named (JAN, MON)
//! and day 7 is Sunday again, as in crontab.
//! Time zones are IANA names, checked against the tz database chrono-tz ships.

use std::str::FromStr;

/// One cron field's name, its bounds and its names (the first name is `lo`).
struct Field {
    name: &'static str,
    lo: u32,
    hi: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        lo: 0,
        hi: 59,
        names: &[],
    },
    Field {
        name: "hour",
        lo: 0,
        hi: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        lo: 1,
        hi: 31,
        names: &[],
    },
    Field {
        name: "month",
        lo: 1,
        hi: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    },
    Field {
        name: "day of week",
        lo: 0,
        // Traditional cron, as Auto Scaling's is: 0 and 7 are both Sunday.
        hi: 7,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
];

/// Why `cron` is not a recurrence Auto Scaling accepts, if it is not.
pub fn cron_problem(cron: &str) -> Option<String> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!(
            "{cron:?} has {} field(s); Auto Scaling takes five fields: minute hour day-of-month month day-of-week, like \"0 10 * * *\"",
            fields.len()
        ));
    }
    FIELDS
        .iter()
        .zip(&fields)
        .find_map(|(f, text)| field_problem(f, text))
        .map(|p| format!("{cron:?}: {p}"))
}

fn field_problem(f: &Field, text: &str) -> Option<String> {
    text.split(',').find_map(|part| {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            let n = s.parse::<u32>().ok().filter(|n| (1..=f.hi).contains(n));
            if n.is_none() {
                return Some(format!(
                    "the {} step {s:?} must be a number from 1 to {}",
                    f.name, f.hi
                ));
            }
        }
        if range == "*" {
            return None;
        }
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        match (value(f, a), value(f, b)) {
            (Some(a), Some(b)) if a <= b => None,
            (Some(_), Some(_)) => Some(format!("the {} range {range:?} runs backwards", f.name)),
            _ => Some(format!(
                "{part:?} is not a {} ({}..{}{}, *, a range a-b, a step */n)",
                f.name,
                f.lo,
                f.hi,
                names_hint(f)
            )),
        }
    })
}

fn value(f: &Field, text: &str) -> Option<u32> {
    let named = f
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .and_then(|i| u32::try_from(i).ok())
        .map(|i| f.lo + i);
    named
        .or_else(|| text.parse::<u32>().ok())
        .filter(|v| (f.lo..=f.hi).contains(v))
}

fn names_hint(f: &Field) -> String {
    match (f.names.first(), f.names.last()) {
        (Some(a), Some(b)) => format!(" or {a}..{b}"),
        _ => String::new(),
    }
}

/// Why `tz` is not an IANA time zone, if it is not.
pub fn time_zone_problem(tz: &str) -> Option<String> {
    chrono_tz::Tz::from_str(tz).is_err().then(|| {
        format!("{tz:?} is not in the IANA time zone database; use a name like Europe/London, America/New_York or UTC")
    })
}
