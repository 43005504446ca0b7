//! The role the instances assume: SSM Session Manager instead of SSH keys, the CloudWatch agent, and
//! exactly the bucket and log-group access the seed grants (asset read/write, source and artifact read).

use aws_sdk_iam::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::{name_taken, Ctx, TAG_FLEET};
use super::{name, tags, PATH};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::{AwsError, ErrorClass};
use crate::fleet::plan::Node;

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

/// What the fleet records about the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRoleState {
    /// The role's name.
    pub role_name: String,
    /// The role's ARN.
    pub role_arn: String,
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

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn existing(cx: &Ctx<'_>, role_name: &str) -> Result<Option<Role>, AwsError> {
    Ok(none_if_gone(
        cx.aws
            .iam
            .get_role()
            .role_name(role_name)
            .send()
            .await
            .map_err(on("iam", "GetRole")),
    )?
    .and_then(|out| out.role().cloned()))
}

/// Creates the role (or adopts the one this fleet made), then sets its policies.
pub async fn create(cx: &Ctx<'_>, grants: &Grants) -> Result<InstanceRoleState, AwsError> {
    let role_name = name(cx, "instance");
    let role = match existing(cx, &role_name).await? {
        Some(r)
            if r.tags()
                .iter()
                .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix) =>
        {
            r
        }
        Some(_) => {
            return Err(name_taken(
                "iam",
                "CreateRole",
                "a role",
                &role_name,
                cx.prefix,
            ))
        }
        None => cx
            .aws
            .iam
            .create_role()
            .role_name(&role_name)
            .path(PATH)
            .assume_role_policy_document(TRUST)
            .set_tags(Some(tags(cx, Node::InstanceRole)))
            .send()
            .await
            .map_err(on("iam", "CreateRole"))?
            .role()
            .cloned()
            .ok_or_else(|| {
                AwsError::conflict("iam", "CreateRole", "AWS returned no role".into())
            })?,
    };
    for arn in MANAGED_POLICIES {
        cx.aws
            .iam
            .attach_role_policy()
            .role_name(&role_name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(on("iam", "AttachRolePolicy"))?;
    }
    cx.aws
        .iam
        .put_role_policy()
        .role_name(&role_name)
        .policy_name(INLINE_POLICY)
        .policy_document(policy(grants).to_string())
        .send()
        .await
        .map_err(on("iam", "PutRolePolicy"))?;
    Ok(InstanceRoleState {
        role_name,
        role_arn: role.arn().to_string(),
    })
}

/// The role as it is now, or `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &InstanceRoleState,
) -> Result<Option<InstanceRoleState>, AwsError> {
    Ok(existing(cx, &state.role_name)
        .await?
        .map(|r| InstanceRoleState {
            role_name: r.role_name().to_string(),
            role_arn: r.arn().to_string(),
        }))
}

/// Takes the role out of instance profiles, detaches and deletes its policies, deletes it; what is
/// already gone is skipped.
pub async fn delete(cx: &Ctx<'_>, state: &InstanceRoleState) -> Result<(), AwsError> {
    let role = state.role_name.as_str();
    let gone = |r: Result<(), AwsError>| done_if_gone(r);
    let profiles: Vec<String> = match cx
        .aws
        .iam
        .list_instance_profiles_for_role()
        .role_name(role)
        .send()
        .await
        .map_err(on("iam", "ListInstanceProfilesForRole"))
    {
        Ok(out) => out
            .instance_profiles()
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect(),
        Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for p in profiles {
        let r = cx
            .aws
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(&p)
            .role_name(role)
            .send()
            .await;
        gone(
            r.map(|_| ())
                .map_err(on("iam", "RemoveRoleFromInstanceProfile")),
        )?;
    }
    for arn in MANAGED_POLICIES {
        gone(
            cx.aws
                .iam
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(on("iam", "DetachRolePolicy")),
        )?;
    }
    gone(
        cx.aws
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(INLINE_POLICY)
            .send()
            .await
            .map(|_| ())
            .map_err(on("iam", "DeleteRolePolicy")),
    )?;
    gone(
        cx.aws
            .iam
            .delete_role()
            .role_name(role)
            .send()
            .await
            .map(|_| ())
            .map_err(on("iam", "DeleteRole")),
    )
}
