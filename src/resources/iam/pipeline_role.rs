//! The service role CodePipeline assumes: read the release archive, keep artifacts, start deployments.

use serde_json::json;

use super::role::{Scope, ServiceRole};
use crate::resources::delivery::codedeploy_arn_in;
use crate::resources::delivery::pipeline::{pipeline_arn, pipeline_name};

/// The role is `<prefix>-pipeline`.
pub const SUFFIX: &str = "pipeline";

const INLINE_POLICY: &str = "pipeline-access";

/// The CodePipeline service role.
pub struct PipelineRole;

/// What the pipeline works with, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The source bucket (read the archive and its versions).
    pub source: String,
    /// The artifact bucket (read and write artifacts).
    pub artifacts: String,
    /// The CodeDeploy application the Deploy stage deploys.
    pub application: String,
    /// The deployment group it deploys to (in that application).
    pub group: String,
    /// The deployment configuration its deployments use.
    pub deployment_config: String,
}

impl ServiceRole for PipelineRole {
    type Spec = Spec;
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "codepipeline.amazonaws.com";
    const MANAGED: &'static [&'static str] = &[];
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    /// The inline policy: only these buckets, and only if they are this account's
    /// (`aws:ResourceAccount`), with the actions AWS lists for an S3 source action and the
    /// artifact store; CodeDeploy's deployment actions on the fleet's application, deployment
    /// group and deployment configuration only.
    /// <https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html>,
    /// <https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html>
    fn policy(b: &Spec, at: &Scope<'_>) -> serde_json::Value {
        let bucket = |name: &str| at.bucket_arn(name);
        let objects = |name: &str| format!("{}/*", at.bucket_arn(name));
        let ours = json!({"StringEquals": {"aws:ResourceAccount": at.account}});
        let codedeploy = [
            format!("application:{}", b.application),
            format!("deploymentgroup:{}/{}", b.application, b.group),
            format!("deploymentconfig:{}", b.deployment_config),
        ]
        .map(|what| codedeploy_arn_in(at, &what));
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "SourceBucket", "Effect": "Allow",
                 "Action": ["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"],
                 "Resource": [bucket(&b.source)], "Condition": ours},
                {"Sid": "SourceObjects", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
                 "Resource": [objects(&b.source)], "Condition": ours},
                {"Sid": "ArtifactBucket", "Effect": "Allow",
                 "Action": ["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"],
                 "Resource": [bucket(&b.artifacts)], "Condition": ours},
                {"Sid": "ArtifactObjects", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
                 "Resource": [objects(&b.artifacts)], "Condition": ours},
                {"Sid": "Deploy", "Effect": "Allow",
                 "Action": ["codedeploy:CreateDeployment", "codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                    "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision"],
                 "Resource": codedeploy},
            ]
        })
    }

    /// CodePipeline assumes it only for the fleet's pipeline, in this account; the pipeline's ARN
    /// is known from its name before the pipeline exists. `IfExists`: AWS's CodePipeline guide
    /// shows its service-role trust without conditions and documents no source keys for it, so a
    /// request without them must still pass, while one naming another account or pipeline fails.
    fn trust_conditions(at: &Scope<'_>) -> Option<serde_json::Value> {
        Some(json!({
            "StringEqualsIfExists": {"aws:SourceAccount": at.account},
            "ArnEqualsIfExists": {"aws:SourceArn": pipeline_arn(at, &pipeline_name(at.prefix))}
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::iam::role::trust_policy;

    fn spec() -> Spec {
        Spec {
            source: "web-source".into(),
            artifacts: "web-artifacts".into(),
            application: "web-app".into(),
            group: "web-dg".into(),
            deployment_config: "CodeDeployDefault.OneAtATime".into(),
        }
    }

    const AT: Scope<'static> = Scope {
        partition: "aws",
        region: "us-east-1",
        account: "123456789012",
        prefix: "web",
    };

    #[test]
    fn codedeploy_actions_are_scoped_to_the_fleets_application_group_and_config() {
        let doc = PipelineRole::policy(&spec(), &AT);
        let deploy = &doc["Statement"][4];
        assert_eq!(deploy["Sid"], "Deploy");
        assert_eq!(
            deploy["Resource"],
            json!([
                "arn:aws:codedeploy:us-east-1:123456789012:application:web-app",
                "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web-app/web-dg",
                "arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.OneAtATime",
            ])
        );
        assert!(
            !doc.to_string().contains("\"*\""),
            "no wildcard grant: {doc}"
        );
    }

    #[test]
    fn the_buckets_get_the_documented_s3_actions_and_only_in_this_account() {
        let doc = PipelineRole::policy(&spec(), &AT);
        let s = |i: usize| &doc["Statement"][i];
        assert_eq!(s(0)["Resource"], json!(["arn:aws:s3:::web-source"]));
        assert_eq!(
            s(0)["Action"],
            json!([
                "s3:GetBucketVersioning",
                "s3:GetBucketAcl",
                "s3:GetBucketLocation"
            ])
        );
        assert_eq!(s(1)["Resource"], json!(["arn:aws:s3:::web-source/*"]));
        assert_eq!(
            s(1)["Action"],
            json!([
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging"
            ])
        );
        assert_eq!(s(2)["Resource"], json!(["arn:aws:s3:::web-artifacts"]));
        assert_eq!(s(3)["Resource"], json!(["arn:aws:s3:::web-artifacts/*"]));
        assert_eq!(
            s(3)["Action"],
            json!([
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl"
            ])
        );
        for i in 0..4 {
            assert_eq!(
                s(i)["Condition"],
                json!({"StringEquals": {"aws:ResourceAccount": "123456789012"}}),
                "statement {i}"
            );
        }
    }

    #[test]
    fn every_arn_is_in_the_regions_partition() {
        let cn = Scope {
            partition: "aws-cn",
            region: "cn-northwest-1",
            ..AT
        };
        let doc = PipelineRole::policy(&spec(), &cn).to_string();
        assert!(doc.contains("arn:aws-cn:s3:::web-source/*"), "{doc}");
        assert!(
            doc.contains(
                "arn:aws-cn:codedeploy:cn-northwest-1:123456789012:deploymentgroup:web-app/web-dg"
            ),
            "{doc}"
        );
        assert!(!doc.contains("arn:aws:"), "{doc}");
    }

    #[test]
    fn codepipeline_may_assume_it_only_for_the_fleets_pipeline_in_this_account() {
        assert_eq!(
            trust_policy(PipelineRole::SERVICE, PipelineRole::trust_conditions(&AT))["Statement"]
                [0],
            json!({
                "Effect": "Allow",
                "Principal": {"Service": "codepipeline.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEqualsIfExists": {"aws:SourceAccount": "123456789012"},
                    "ArnEqualsIfExists": {"aws:SourceArn": "arn:aws:codepipeline:us-east-1:123456789012:web-pipeline"}
                }
            })
        );
    }
}
