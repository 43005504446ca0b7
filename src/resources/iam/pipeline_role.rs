//! The service role CodePipeline assumes: read the release archive, keep artifacts, start deployments.

use serde_json::json;

use super::role::{self, RoleState, Shape};
use crate::aws::Error;
use crate::resources::tagging::Target;
use crate::resources::{Ctx, Reconciler};

/// The role is `<prefix>-pipeline`.
pub const SUFFIX: &str = "pipeline";

const INLINE_POLICY: &str = "pipeline-access";

/// The CodePipeline service role.
pub struct PipelineRole;

/// The buckets the pipeline works with, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The source bucket (read the archive and its versions).
    pub source: String,
    /// The artifact bucket (read and write artifacts).
    pub artifacts: String,
}

/// The inline policy: only these buckets, only CodeDeploy's deployment actions.
pub fn policy(b: &Spec) -> serde_json::Value {
    let arn = |bucket: &str| format!("arn:aws:s3:::{bucket}");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning"],
             "Resource": [arn(&b.source), format!("{}/*", arn(&b.source))]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"],
             "Resource": [arn(&b.artifacts), format!("{}/*", arn(&b.artifacts))]},
            {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision"],
             "Resource": "*"},
        ]
    })
}

impl Reconciler for PipelineRole {
    type Spec = Spec;
    type Record = RoleState;
    type Within = ();

    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<RoleState, Error> {
        let shape = Shape {
            suffix: SUFFIX,
            service: "codepipeline.amazonaws.com",
            managed: &[],
            inline: Some((INLINE_POLICY, policy(spec))),
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
