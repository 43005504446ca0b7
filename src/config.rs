//! The provider's configuration (`ec2fleet:region`, `ec2fleet:endpoints`, ...): typed, checked per key.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fleet::validate::tags::{count_on_objects, tag_problems, MAX_TAGS};
use crate::fleet::InputError;

/// AWS services the provider calls, by the key used in `endpoints`.
pub const SERVICES: [&str; 15] = [
    "acm",
    "autoscaling",
    "cloudfront",
    "cloudtrail",
    "codedeploy",
    "codepipeline",
    "ec2",
    "elbv2",
    "events",
    "iam",
    "logs",
    "route53",
    "s3",
    "ssm",
    "sts",
];

/// Keys the engine itself adds to every provider's configuration.
const ENGINE_KEYS: [&str; 2] = ["version", "pluginDownloadURL"];

/// Configuration of the ec2fleet provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderConfig {
    /// AWS region to manage fleets in. Falls back to AWS_REGION, then AWS_DEFAULT_REGION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Named profile from the shared AWS config and credentials files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// AWS access key ID (use with secretKey). Without it, the default credential chain is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("secret" = true))]
    pub access_key: Option<String>,
    /// AWS secret access key (use with accessKey).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("secret" = true))]
    pub secret_key: Option<String>,
    /// AWS session token for temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("secret" = true))]
    pub token: Option<String>,
    /// Custom endpoint URL per AWS service, for local emulators and private endpoints. Keys: acm, autoscaling,
    /// cloudfront, cloudtrail, codedeploy, codepipeline, ec2, elbv2, events, iam, logs, route53, s3, ssm,
    /// sts. S3 uses path-style addressing when its endpoint is set.
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    /// Skip checking the credentials with STS GetCallerIdentity when the provider is configured.
    #[serde(default)]
    pub skip_credentials_validation: bool,
    /// Tags applied to every taggable AWS object of every fleet; a fleet's own tags win on conflict.
    #[serde(default)]
    pub default_tags: BTreeMap<String, String>,
    /// Most attempts per AWS call on throttling and transient errors (1-25), in the SDK's adaptive
    /// retry mode. Defaults to 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

impl ProviderConfig {
    /// Parses the configuration the engine sent (values may arrive as JSON-encoded strings, as stack
    /// config stores them) and reports every problem, each naming its key.
    pub fn parse(
        raw: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, Vec<InputError>> {
        let mut fields = serde_json::Map::new();
        for (k, v) in raw {
            if ENGINE_KEYS.contains(&k.as_str()) {
                continue;
            }
            fields.insert(k.clone(), decode_string_value(k, v));
        }
        let cfg: Self =
            crate::fleet::parse(serde_json::Value::Object(fields)).map_err(|e| vec![e])?;
        let errors = cfg.problems();
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// The region to use: configured, else from the environment.
    pub fn effective_region(&self) -> Option<String> {
        self.region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .filter(|r| !r.is_empty())
    }

    fn problems(&self) -> Vec<InputError> {
        let mut out = Vec::new();
        let mut push = |p: &str, r: String| {
            out.push(InputError {
                property: p.into(),
                reason: r,
            })
        };
        if let Some(r) = self.region.as_deref().filter(|r| !is_region(r)) {
            push(
                "region",
                format!("{r:?} is not an AWS region name; expected a form like us-east-1"),
            );
        }
        if self.access_key.is_some() != self.secret_key.is_some() {
            push(
                "accessKey",
                "accessKey and secretKey must be set together".into(),
            );
        }
        if self.token.is_some() && self.access_key.is_none() {
            push(
                "token",
                "a session token needs accessKey and secretKey too".into(),
            );
        }
        for (service, url) in &self.endpoints {
            if !SERVICES.contains(&service.as_str()) {
                push(
                    &format!("endpoints.{service}"),
                    format!(
                        "unknown service {service:?}; known services: {}",
                        SERVICES.join(", ")
                    ),
                );
            } else if let Some(p) = endpoint_problem(url) {
                push(&format!("endpoints.{service}"), p);
            }
        }
        for (k, v) in &self.default_tags {
            for (p, r) in tag_problems("defaultTags", k, v) {
                push(&p, r);
            }
        }
        // Each object carries these, the fleet's identity tags and a Name besides its own tags.
        let n = count_on_objects(&self.default_tags, &BTreeMap::new());
        if n > MAX_TAGS {
            push(
                "defaultTags",
                format!("{} tags given; with the fleet's identity tags and Name each object would carry {n}, over AWS's {MAX_TAGS}", self.default_tags.len()),
            );
        }
        if let Some(n) = self.max_retries.filter(|n| !(1..=25).contains(n)) {
            push("maxRetries", format!("{n} is outside 1..25"));
        }
        out
    }
}

/// Stack config keeps non-string values as JSON text; decode it where the key expects a non-string.
fn decode_string_value(key: &str, v: &serde_json::Value) -> serde_json::Value {
    const NON_STRING: [&str; 4] = [
        "endpoints",
        "skipCredentialsValidation",
        "defaultTags",
        "maxRetries",
    ];
    match v {
        serde_json::Value::String(s) if NON_STRING.contains(&key) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        _ => v.clone(),
    }
}

/// Why `url` is not an endpoint URL, if it is not: an http(s) scheme and a host, nothing after the
/// path.
fn endpoint_problem(url: &str) -> Option<String> {
    let hint = "expected a form like http://127.0.0.1:5000 or https://ec2.eu-west-1.amazonaws.com";
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Some(format!("{url:?} is not a URL; {hint}"));
    };
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if !scheme_ok || !host_ok {
        Some(format!(
            "{url:?} is not a URL with an http:// or https:// scheme and a host; {hint}"
        ))
    } else if uri.query().is_some() {
        Some(format!(
            "{url:?} has a query string, which an endpoint cannot have; {hint}"
        ))
    } else {
        None
    }
}

fn is_region(r: &str) -> bool {
    let parts: Vec<_> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .take(parts.len() - 1)
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: serde_json::Value) -> Result<ProviderConfig, Vec<InputError>> {
        ProviderConfig::parse(v.as_object().unwrap())
    }

    #[test]
    fn stack_config_strings_are_decoded_per_key() {
        let cfg = parse(json!({
            "region": "eu-west-2",
            "endpoints": "{\"ec2\": \"http://127.0.0.1:5000\"}",
            "maxRetries": "5",
            "skipCredentialsValidation": "true",
            "version": "0.1.0",
        }))
        .unwrap();
        assert_eq!(cfg.region.as_deref(), Some("eu-west-2"));
        assert_eq!(cfg.endpoints["ec2"], "http://127.0.0.1:5000");
        assert_eq!(cfg.max_retries, Some(5));
        assert!(cfg.skip_credentials_validation);
        let short = parse(
            json!({"endpoints": {"ec2": "https://x"}, "defaultTags": {"cost center": "R+D/42"}}),
        );
        assert!(short.is_ok(), "{short:?}");
    }

    #[test]
    fn each_bad_key_is_named() {
        let cases = [
            (json!({"region": "Mars"}), "region", "us-east-1"),
            (json!({"accessKey": "AKIA"}), "accessKey", "together"),
            (
                json!({"endpoints": {"ecs": "http://x:1"}}),
                "endpoints.ecs",
                "known services",
            ),
            (
                json!({"endpoints": {"ec2": "localhost"}}),
                "endpoints.ec2",
                "not a URL",
            ),
            (
                json!({"endpoints": {"ec2": "http://a b:5000"}}),
                "endpoints.ec2",
                "not a URL",
            ),
            (
                json!({"endpoints": {"s3": "ftp://127.0.0.1:5000"}}),
                "endpoints.s3",
                "http:// or https://",
            ),
            (
                json!({"endpoints": {"s3": "http://127.0.0.1:5000/?x=1"}}),
                "endpoints.s3",
                "query string",
            ),
            (
                json!({"defaultTags": {"owner;x": "me"}}),
                "defaultTags.owner;x",
                "_ . : / = + - @",
            ),
            (
                json!({"defaultTags": {"ec2fleet:node": "x"}}),
                "defaultTags.ec2fleet:node",
                "the fleet's own",
            ),
            (
                json!({"defaultTags": (0..48).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
                "defaultTags",
                "51",
            ),
            (json!({"maxRetries": 99}), "maxRetries", "1..25"),
            (json!({"maxRetries": "many"}), "maxRetries", "invalid type"),
            (json!({"regoin": "us-east-1"}), "regoin", "unknown field"),
        ];
        for (cfg, key, reason) in cases {
            let errs = parse(cfg.clone()).expect_err("config should be refused");
            assert!(
                errs.iter()
                    .any(|e| e.property == key && e.reason.contains(reason)),
                "{cfg}: {errs:?}"
            );
        }
    }
}
