//! Tags: AWS's tag rules, as the strictest service the fleet tags applies them (IAM, Auto Scaling,
//! CodeDeploy, CloudTrail, EventBridge and Logs take only letters, digits, spaces and `_ . : / = + - @`;
//! EC2 and S3 take more, but one tag goes to all of them). Shared by the fleet's `tags` and the
//! provider's `defaultTags`.

use std::collections::{BTreeMap, BTreeSet};

use crate::identity::{TAG_FLEET, TAG_NODE};

/// Most tags an object takes, in every service the fleet tags.
pub const MAX_TAGS: usize = 50;
/// Longest key and value, in Unicode characters.
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;

/// Whether `c` is in the tag character set: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`. Rust's
/// `is_alphanumeric` is wider than `\p{L}\p{N}` (it takes combining marks and circled letters),
/// so the general category decides.
fn tag_char(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    let category = get_general_category(c);
    let letter_or_number = matches!(
        category,
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    );
    let separator = matches!(
        category,
        G::SpaceSeparator | G::LineSeparator | G::ParagraphSeparator
    );
    letter_or_number || separator || "_.:/=+-@".contains(c)
}

/// Every problem with one tag, as `(property, reason)`; `at` is the map's property path.
pub fn tag_problems(at: &str, key: &str, value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let p = format!("{at}.{key}");
    let keys = key.chars().count();
    if keys == 0 || keys > MAX_KEY {
        out.push((
            p.clone(),
            format!("the key has {keys} characters; tag keys have 1 to {MAX_KEY}"),
        ));
    }
    let lower = key.to_lowercase();
    if lower.starts_with("aws:") {
        out.push((
            p.clone(),
            "keys starting with aws: are reserved by AWS".into(),
        ));
    } else if lower.starts_with("ec2fleet:") {
        out.push((p.clone(), format!("keys starting with ec2fleet: are the fleet's own ({TAG_FLEET}, {TAG_NODE}), by which it finds its objects; choose another key")));
    }
    if let Some(c) = key.chars().find(|c| !tag_char(*c)) {
        out.push((p.clone(), format!("the key holds {c:?}; tags may hold letters, digits, spaces and _ . : / = + - @ (IAM, Elastic Load Balancing, CloudWatch Logs and CloudFront refuse others)")));
    }
    let values = value.chars().count();
    if values == 0 {
        out.push((
            p.clone(),
            "the value is empty, which CloudTrail refuses on the fleet's trail; give a value"
                .into(),
        ));
    } else if values > MAX_VALUE {
        out.push((
            p.clone(),
            format!("the value has {values} characters; tag values have at most {MAX_VALUE}"),
        ));
    }
    if let Some(c) = value.chars().find(|c| !tag_char(*c)) {
        out.push((p, format!("the value holds {c:?}; tags may hold letters, digits, spaces and _ . : / = + - @ (IAM, Elastic Load Balancing, CloudWatch Logs and CloudFront refuse others)")));
    }
    out
}

/// How many tags each object carries with `own` over `defaults`: their keys, the fleet's two
/// identity tags, and a Name unless one is given.
pub fn count_on_objects(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> usize {
    let mut keys: BTreeSet<&str> = defaults
        .keys()
        .chain(own.keys())
        .map(String::as_str)
        .collect();
    keys.insert("Name");
    keys.insert(TAG_FLEET);
    keys.insert(TAG_NODE);
    keys.len()
}
