//! The role the instances assume: SSM Session Manager instead of SSH keys, the CloudWatch agent, and
//! exactly the bucket and log-group access the seed grants (asset read/write, source and artifact read).

use serde_json::json;

use super::role::{Scope, ServiceRole};

/// The role is `<prefix>-instance`.
pub const SUFFIX: &str = "instance";

/// AWS-managed policies the instances need (by name: their ARNs are in the region's partition).
pub const MANAGED_POLICIES: [&str; 2] = [
    "AmazonSSMManagedInstanceCore",
    "CloudWatchAgentServerPolicy",
];
const INLINE_POLICY: &str = "fleet-access";

/// The instances' role.
pub struct InstanceRole;

/// What the role's permissions refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Asset bucket name (read and write).
    pub asset_bucket: String,
    /// Source bucket name (read).
    pub source_bucket: String,
    /// Artifact bucket name (read: CodeDeploy revisions).
    pub artifact_bucket: String,
    /// Log group ARN (write).
    pub log_group_arn: String,
    /// The fleet's parameter path (read: the app's environment).
    pub parameter_path: String,
}

impl ServiceRole for InstanceRole {
    type Spec = Spec;
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "ec2.amazonaws.com";
    const MANAGED: &'static [&'static str] = &MANAGED_POLICIES;
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    /// The inline policy document for `g`.
    fn policy(g: &Spec, at: &Scope<'_>) -> serde_json::Value {
        let bucket = |b: &str| at.bucket_arn(b);
        // A parameter's ARN is `parameter` followed by its name (which starts with `/`).
        let parameter = |name: &str| at.arn("ssm", &format!("parameter{name}"));
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [format!("{}/*", bucket(&g.asset_bucket))]},
                {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket(&g.asset_bucket)]},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                 "Resource": [format!("{}/*", bucket(&g.source_bucket)), format!("{}/*", bucket(&g.artifact_bucket))]},
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                 "Resource": [g.log_group_arn.clone(), format!("{}:*", g.log_group_arn)]},
                // The app's environment: the path itself for GetParametersByPath, its
                // parameters for GetParameter(s). The aws/ssm key's policy lets SSM decrypt for
                // any principal of the account, so no kms grant is needed.
                {"Effect": "Allow", "Action": ["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"],
                 "Resource": [parameter(&g.parameter_path), parameter(&format!("{}/*", g.parameter_path))]},
            ]
        })
    }

    /// A plain trust, no confused-deputy conditions: EC2 assumes the role only to hand credentials
    /// to the instances launched with its instance profile, not on behalf of a request naming some
    /// other resource, and AWS documents no `aws:SourceArn`/`aws:SourceAccount` values for that
    /// trust. Who may put the role on instances is limited by `iam:PassRole` instead (the
    /// CodeDeploy role may pass it, and only to EC2).
    fn trust_conditions(_at: &Scope<'_>) -> Option<serde_json::Value> {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::iam::role::{managed_arn, trust_policy};

    fn grants() -> Spec {
        Spec {
            asset_bucket: "web-assets".into(),
            source_bucket: "web-source".into(),
            artifact_bucket: "web-artifacts".into(),
            log_group_arn: "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/ec2fleet/web"
                .into(),
            parameter_path: "/ec2fleet/web/env".into(),
        }
    }

    const GOV: Scope<'static> = Scope {
        partition: "aws-us-gov",
        region: "us-gov-west-1",
        account: "123456789012",
        prefix: "web",
    };

    #[test]
    fn the_bucket_grants_are_in_the_regions_partition() {
        let doc = InstanceRole::policy(&grants(), &GOV);
        assert_eq!(
            doc["Statement"][0]["Resource"],
            json!(["arn:aws-us-gov:s3:::web-assets/*"])
        );
        assert_eq!(
            doc["Statement"][1]["Resource"],
            json!(["arn:aws-us-gov:s3:::web-assets"])
        );
        assert_eq!(
            doc["Statement"][2]["Resource"],
            json!([
                "arn:aws-us-gov:s3:::web-source/*",
                "arn:aws-us-gov:s3:::web-artifacts/*"
            ])
        );
        assert_eq!(
            doc["Statement"][4]["Resource"],
            json!([
                "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/ec2fleet/web/env",
                "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/ec2fleet/web/env/*"
            ]),
            "the environment is readable by path and by name, and nothing else in SSM"
        );
        assert_eq!(
            doc["Statement"][4]["Action"],
            json!([
                "ssm:GetParametersByPath",
                "ssm:GetParameters",
                "ssm:GetParameter"
            ])
        );
        assert!(!doc.to_string().contains("arn:aws:"), "{doc}");
        assert_eq!(
            MANAGED_POLICIES.map(|n| managed_arn(GOV.partition, n)),
            [
                "arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore",
                "arn:aws-us-gov:iam::aws:policy/CloudWatchAgentServerPolicy",
            ]
        );
    }

    #[test]
    fn ec2_gets_a_plain_trust() {
        assert_eq!(
            trust_policy(InstanceRole::SERVICE, InstanceRole::trust_conditions(&GOV)),
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole"
            }]})
        );
    }
}
