//! The role EventBridge assumes to start the fleet's pipeline when a new release archive lands.

use serde_json::json;

use super::role::{self, RoleState, Shape};
use crate::aws::Error;
use crate::resources::tagging::Target;
use crate::resources::{Ctx, Reconciler};

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

impl Reconciler for EventsRole {
    type Spec = Spec;
    type Record = RoleState;
    type Within = ();

    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<RoleState, Error> {
        let doc = json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": spec.pipeline_arn}]
        });
        let shape = Shape {
            suffix: SUFFIX,
            service: "events.amazonaws.com",
            managed: &[],
            inline: Some((INLINE_POLICY, doc)),
        };
        role::ensure(cx, &shape).await
    }

    async fn read(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<Option<RoleState>, Error> {
        role::read(cx, record).await
    }

    async fn delete(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<(), Error> {
        role::delete(cx, record, &[], Some(INLINE_POLICY)).await
    }

    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<RoleState>, Error> {
        role::discover(cx, SUFFIX).await
    }

    fn tag_targets(&self, r: &RoleState) -> Vec<Target> {
        vec![Target::Role(r.role_name.clone())]
    }
}
