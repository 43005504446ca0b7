//! The role EventBridge assumes to start the fleet's pipeline when a new release archive lands.

use serde_json::json;

use super::role::ServiceRole;

/// The role is `<prefix>-events`.
pub const SUFFIX: &str = "events";

const INLINE_POLICY: &str = "start-pipeline";

/// The EventBridge role, allowed to start only the fleet's pipeline.
pub struct EventsRole;

/// What the events role refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The ARN of the pipeline it may start.
    pub pipeline_arn: String,
}

impl ServiceRole for EventsRole {
    type Spec = Spec;
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "events.amazonaws.com";
    const MANAGED: &'static [&'static str] = &[];
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    fn policy(spec: &Spec) -> serde_json::Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": spec.pipeline_arn}]
        })
    }
}
