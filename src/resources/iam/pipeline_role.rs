//! The service role CodePipeline assumes: read the release archive, keep artifacts, start deployments.

use serde_json::json;

use super::role::ServiceRole;

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

impl ServiceRole for PipelineRole {
    type Spec = Spec;
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "codepipeline.amazonaws.com";
    const MANAGED: &'static [&'static str] = &[];
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    /// The inline policy: only these buckets, only CodeDeploy's deployment actions.
    fn policy(b: &Spec) -> serde_json::Value {
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
}
