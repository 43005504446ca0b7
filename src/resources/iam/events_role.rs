//! The role EventBridge assumes to start the fleet's pipeline when a new release archive lands.

use serde_json::json;

use super::role::{self, RoleState, Spec};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::Ctx;

/// The role is `<prefix>-events`.
pub const SUFFIX: &str = "events";

const INLINE_POLICY: &str = "start-pipeline";

/// Creates (or adopts) the role, allowed to start only the pipeline at `pipeline_arn`.
pub async fn create(cx: &Ctx<'_>, pipeline_arn: &str) -> Result<RoleState, AwsError> {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": pipeline_arn}]
    });
    let spec = Spec {
        node: Node::EventsRole,
        suffix: SUFFIX,
        service: "events.amazonaws.com",
        managed: &[],
        inline: Some((INLINE_POLICY, doc)),
    };
    role::ensure(cx, &spec).await
}

/// Deletes the role; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &RoleState) -> Result<(), AwsError> {
    role::delete(cx, state, &[], Some(INLINE_POLICY)).await
}
