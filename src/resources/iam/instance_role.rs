//! The role the instances assume: SSM Session Manager instead of SSH keys, the CloudWatch agent, and
//! exactly the bucket and log-group access the seed grants (asset read/write, source and artifact read).

use serde_json::json;

use super::role::{self, RoleState, Spec};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::Ctx;

/// The role is `<prefix>-instance`.
pub const SUFFIX: &str = "instance";

/// AWS-managed policies the instances need.
pub const MANAGED_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
];
const INLINE_POLICY: &str = "fleet-access";

/// What the role's permissions refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    /// Asset bucket name (read and write).
    pub asset_bucket: String,
    /// Source bucket name (read).
    pub source_bucket: String,
    /// Artifact bucket name (read: CodeDeploy revisions).
    pub artifact_bucket: String,
    /// Log group ARN (write).
    pub log_group_arn: String,
}

/// The inline policy document for `g`.
pub fn policy(g: &Grants) -> serde_json::Value {
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

/// The role's shape for these grants.
fn spec(grants: &Grants) -> Spec<'static> {
    Spec {
        node: Node::InstanceRole,
        suffix: SUFFIX,
        service: "ec2.amazonaws.com",
        managed: &MANAGED_POLICIES,
        inline: Some((INLINE_POLICY, policy(grants))),
    }
}

/// Creates the role (or adopts the one this fleet made), then sets its policies.
pub async fn create(cx: &Ctx<'_>, grants: &Grants) -> Result<RoleState, AwsError> {
    role::ensure(cx, &spec(grants)).await
}

/// The role as it is now, or `None` when it is gone.
pub async fn read(cx: &Ctx<'_>, state: &RoleState) -> Result<Option<RoleState>, AwsError> {
    role::read(cx, state).await
}

/// Deletes the role with everything attached to it; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &RoleState) -> Result<(), AwsError> {
    role::delete(cx, state, &MANAGED_POLICIES, Some(INLINE_POLICY)).await
}
