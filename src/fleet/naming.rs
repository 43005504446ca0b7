//! The fleet's name prefix: given, kept from the previous inputs, or made by Pulumi's autonaming.

use super::InputError;

/// Longest prefix: the longest derived name (`<prefix>-tg` style, ≤ 32 characters for load balancers and
/// target groups, and bucket names with suffixes ≤ 63) must still fit.
pub const MAX_PREFIX: usize = 20;

/// The engine's autonaming instruction for this resource (from Check's `autonaming`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Autonaming {
    /// Use the proposed name, adapted to AWS's rules if needed.
    Propose(String),
    /// Use exactly this name.
    Enforce(String),
    /// No autonaming: the user must name the fleet.
    Disable,
    /// An engine that sends no instruction: derive a name from the resource name and the random seed.
    Legacy {
        /// The resource's name in the program.
        resource_name: String,
        /// The engine's per-resource random seed.
        seed: Vec<u8>,
    },
}

/// Why `p` is not a valid name prefix, if it is not.
pub fn prefix_problem(p: &str) -> Option<String> {
    let ok_chars = p
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if p.is_empty() || p.len() > MAX_PREFIX {
        Some(format!(
            "{p:?} has {} characters; use 1 to {MAX_PREFIX}",
            p.len()
        ))
    } else if !ok_chars
        || !p.starts_with(|c: char| c.is_ascii_lowercase())
        || p.ends_with('-')
        || p.contains("--")
    {
        Some(format!(
            "{p:?} must be lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (S3 and load balancer names require it)"
        ))
    } else {
        None
    }
}

/// Chooses the prefix: an explicit one wins, then the one recorded before (so names never drift), then
/// autonaming.
pub fn resolve(
    explicit: Option<&str>,
    previous: Option<&str>,
    autonaming: &Autonaming,
) -> Result<String, InputError> {
    let fail = |reason: String| InputError {
        property: "namePrefix".into(),
        reason,
    };
    if let Some(p) = explicit {
        return prefix_problem(p).map_or(Ok(p.to_string()), |r| Err(fail(r)));
    }
    if let Some(p) = previous.filter(|p| prefix_problem(p).is_none()) {
        return Ok(p.to_string());
    }
    match autonaming {
        Autonaming::Disable => Err(fail(
            "autonaming is disabled for this stack, so namePrefix must be set".into(),
        )),
        Autonaming::Enforce(n) => prefix_problem(n).map_or(Ok(n.clone()), |r| {
            Err(fail(format!(
                "the autonaming configuration enforces {n:?}, which does not fit: {r}"
            )))
        }),
        Autonaming::Propose(n) => Ok(sanitize(n)),
        Autonaming::Legacy {
            resource_name,
            seed,
        } => Ok(sanitize(&format!("{resource_name}-{}", suffix(seed)))),
    }
}

/// Seven hex characters from the engine's random seed: stable across runs of the same program.
fn suffix(seed: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:07x}", h & 0x0fff_ffff)
}

/// Makes any proposed name a valid prefix, keeping its random tail when it has to be shortened.
pub fn sanitize(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let mut s = s.trim_matches('-').to_string();
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = format!("f{s}");
    }
    if s.len() > MAX_PREFIX {
        let tail = &s[s.len() - 7..];
        s = format!(
            "{}-{}",
            s[..MAX_PREFIX - 8].trim_end_matches('-'),
            tail.trim_start_matches('-')
        );
    }
    s.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_prefix_is_validated_not_rewritten() {
        assert_eq!(
            resolve(Some("shop"), None, &Autonaming::Disable).unwrap(),
            "shop"
        );
        let err = resolve(Some("Shop_1"), None, &Autonaming::Disable).unwrap_err();
        assert_eq!(err.property, "namePrefix");
        assert!(err.reason.contains("lowercase"), "{}", err.reason);
    }

    #[test]
    fn previous_prefix_wins_over_autonaming() {
        let got = resolve(
            None,
            Some("web-1a2b3c4"),
            &Autonaming::Propose("web-9999999".into()),
        )
        .unwrap();
        assert_eq!(got, "web-1a2b3c4");
    }

    #[test]
    fn disabled_autonaming_requires_a_prefix() {
        let err = resolve(None, None, &Autonaming::Disable).unwrap_err();
        assert!(err.reason.contains("must be set"));
    }

    #[test]
    fn enforced_name_must_fit() {
        assert_eq!(
            resolve(None, None, &Autonaming::Enforce("prod".into())).unwrap(),
            "prod"
        );
        assert!(resolve(None, None, &Autonaming::Enforce("Prod Fleet".into())).is_err());
    }

    #[test]
    fn long_proposals_keep_their_random_tail() {
        let got = resolve(
            None,
            None,
            &Autonaming::Propose("My_Very_Long_Fleet_Name-a1b2c3d".into()),
        )
        .unwrap();
        assert!(got.len() <= MAX_PREFIX, "{got}");
        assert!(got.ends_with("a1b2c3d"), "{got}");
        assert!(prefix_problem(&got).is_none(), "{got}");
    }

    #[test]
    fn legacy_names_are_stable_for_a_seed_and_differ_across_seeds() {
        let a = |seed: &[u8]| {
            resolve(
                None,
                None,
                &Autonaming::Legacy {
                    resource_name: "web".into(),
                    seed: seed.to_vec(),
                },
            )
            .unwrap()
        };
        assert_eq!(a(b"one"), a(b"one"));
        assert_ne!(a(b"one"), a(b"two"));
        assert!(a(b"one").starts_with("web-"));
    }

    #[test]
    fn sanitize_always_yields_a_valid_prefix() {
        for n in [
            "9lives",
            "--x--",
            "UPPER",
            "a",
            "ab-",
            "x".repeat(80).as_str(),
            "fleet.with.dots-1234567",
        ] {
            let s = sanitize(n);
            assert!(prefix_problem(&s).is_none(), "{n:?} -> {s:?}");
        }
    }
}
