//! The role EventBridge assumes to start the fleet's pipeline when a new release archive lands.

use serde_json::json;

use super::role::{Scope, ServiceRole};
use crate::resources::delivery::event_rule::{rule_arn, rule_name};

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

    fn policy(spec: &Spec, _at: &Scope<'_>) -> serde_json::Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": spec.pipeline_arn}]
        })
    }

    /// EventBridge assumes it only for the fleet's rule, in this account (EventBridge sets both
    /// keys when a rule invokes a target with a role:
    /// <https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html>).
    fn trust_conditions(at: &Scope<'_>) -> Option<serde_json::Value> {
        Some(json!({
            "StringEquals": {"aws:SourceAccount": at.account},
            "ArnEquals": {"aws:SourceArn": rule_arn(at, &rule_name(at.prefix))}
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::iam::role::trust_policy;

    #[test]
    fn eventbridge_may_assume_it_only_for_the_fleets_rule_in_this_account() {
        let at = Scope {
            partition: "aws",
            region: "eu-west-1",
            account: "123456789012",
            prefix: "web",
        };
        assert_eq!(
            trust_policy(EventsRole::SERVICE, EventsRole::trust_conditions(&at))["Statement"][0],
            json!({
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnEquals": {"aws:SourceArn": "arn:aws:events:eu-west-1:123456789012:rule/web-release"}
                }
            })
        );
        let cn = Scope {
            partition: "aws-cn",
            region: "cn-north-1",
            ..at
        };
        assert_eq!(
            EventsRole::trust_conditions(&cn).unwrap()["ArnEquals"]["aws:SourceArn"],
            "arn:aws-cn:events:cn-north-1:123456789012:rule/web-release"
        );
    }

    #[test]
    fn it_may_start_only_the_pipeline_it_is_given() {
        let at = Scope {
            partition: "aws",
            region: "eu-west-1",
            account: "123456789012",
            prefix: "web",
        };
        let arn = "arn:aws:codepipeline:eu-west-1:123456789012:web-pipeline";
        let spec = Spec {
            pipeline_arn: arn.into(),
        };
        assert_eq!(
            EventsRole::policy(&spec, &at)["Statement"],
            json!([{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": arn}])
        );
    }
}
