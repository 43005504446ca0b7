//! The role the instances assume: SSM Session Manager instead of SSH keys, the CloudWatch agent, and
//! exactly the bucket and log-group access the seed grants (asset read/write, source and artifact read).

use serde_json::json;

use super::role::ServiceRole;

/// The role is `<prefix>-instance`.
pub const SUFFIX: &str = "instance";

/// AWS-managed policies the instances need.
pub const MANAGED_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
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
}

impl ServiceRole for InstanceRole {
    type Spec = Spec;
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "ec2.amazonaws.com";
    const MANAGED: &'static [&'static str] = &MANAGED_POLICIES;
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    /// The inline policy document for `g`.
    fn policy(g: &Spec) -> serde_json::Value {
        let bucket = |b: &str| format!("arn:aws:s3:::{b}");
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [format!("{}/*", bucket(&g.asset_bucket))]},
                {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket(&g.asset_bucket)]},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                 "Resource": [format!("{}/*", bucket(&g.source_bucket)), format!("{}/*", bucket(&g.artifact_bucket))]},
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                 "Resource": [g.log_group_arn.clone(), format!("{}:*", g.log_group_arn)]},
            ]
        })
    }
}
