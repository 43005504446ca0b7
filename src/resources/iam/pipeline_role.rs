//! The service role CodePipeline assumes: read the release archive, keep artifacts, start deployments.

use serde_json::json;

use super::role::{self, RoleState, Spec};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::Ctx;

/// The role is `<prefix>-pipeline`.
pub const SUFFIX: &str = "pipeline";

const INLINE_POLICY: &str = "pipeline-access";

/// The buckets the pipeline works with.
pub struct Buckets<'a> {
    /// The source bucket (read the archive and its versions).
    pub source: &'a str,
    /// The artifact bucket (read and write artifacts).
    pub artifacts: &'a str,
}

/// The inline policy: only these buckets, only CodeDeploy's deployment actions.
pub fn policy(b: &Buckets<'_>) -> serde_json::Value {
    let arn = |bucket: &str| format!("arn:aws:s3:::{bucket}");
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning"],
             "Resource": [arn(b.source), format!("{}/*", arn(b.source))]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"],
             "Resource": [arn(b.artifacts), format!("{}/*", arn(b.artifacts))]},
            {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision"],
             "Resource": "*"},
        ]
    })
}

/// Creates (or adopts) the role.
pub async fn create(cx: &Ctx<'_>, buckets: &Buckets<'_>) -> Result<RoleState, AwsError> {
    let spec = Spec {
        node: Node::PipelineRole,
        suffix: SUFFIX,
        service: "codepipeline.amazonaws.com",
        managed: &[],
        inline: Some((INLINE_POLICY, policy(buckets))),
    };
    role::ensure(cx, &spec).await
}

/// Deletes the role; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &RoleState) -> Result<(), AwsError> {
    role::delete(cx, state, &[], Some(INLINE_POLICY)).await
}
