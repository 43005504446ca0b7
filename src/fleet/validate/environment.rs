//! The app's environment: names the start script can export, values SSM takes. No message ever
//! quotes a value: they are secrets.

use super::Errors;
use crate::fleet::args::FleetArgs;

/// Longest variable name (the parameter's name, with its path and ARN, must stay within SSM's
/// 1011 characters).
const MAX_NAME: usize = 256;
/// Largest value a standard-tier parameter holds, in bytes.
const MAX_VALUE: usize = 4096;

pub(super) fn check(a: &FleetArgs, e: &mut Errors) {
    if !e.known(&["environment"]) {
        return;
    }
    for (name, value) in &a.environment {
        let at = format!("environment.{name}");
        if let Some(p) = name_problem(name) {
            e.push(at.clone(), p);
        }
        let bytes = value.0.len();
        if bytes == 0 {
            e.push(at, "the value is empty; SSM parameters hold 1 to 4096 bytes (leave the name out instead)");
        } else if bytes > MAX_VALUE {
            e.push(at, format!("the value has {bytes} bytes; a standard SSM parameter holds at most {MAX_VALUE}"));
        }
    }
}

/// Why `name` is not an environment-variable name the start script can export, if it is not.
fn name_problem(name: &str) -> Option<String> {
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok || !rest_ok {
        return Some(format!("{name:?} is not an environment variable name: use letters, digits and _, not starting with a digit, such as DATABASE_URL"));
    }
    (name.len() > MAX_NAME)
        .then(|| format!("the name has {} characters; at most {MAX_NAME}", name.len()))
}
