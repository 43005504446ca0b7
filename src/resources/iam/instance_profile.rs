//! The instance profile that hands the role to the instances.

use serde::{Deserialize, Serialize};

use super::super::{name_taken, Ctx};
use super::role::RoleState;
use super::{name, ours, tags, PATH};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// What the fleet records about the instance profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceProfileState {
    /// The profile's name.
    pub name: String,
    /// The profile's ARN.
    pub arn: String,
}

async fn existing(
    cx: &Ctx<'_>,
    profile: &str,
) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, AwsError> {
    Ok(none_if_gone(
        cx.aws
            .iam
            .get_instance_profile()
            .instance_profile_name(profile)
            .send()
            .await
            .map_err(on("iam", "GetInstanceProfile")),
    )?
    .and_then(|out| out.instance_profile().cloned()))
}

fn profile_name(cx: &Ctx<'_>) -> String {
    name(cx, "instance")
}

/// The fleet's profile, when it exists and carries the fleet's tag.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<InstanceProfileState>, AwsError> {
    let profile = profile_name(cx);
    let found = existing(cx, &profile).await?;
    Ok(found
        .filter(|p| ours(cx, p.tags()))
        .map(|p| InstanceProfileState {
            name: profile,
            arn: p.arn().to_string(),
        }))
}

/// Creates (or adopts) the profile and puts the role in it.
pub async fn create(cx: &Ctx<'_>, role: &RoleState) -> Result<InstanceProfileState, AwsError> {
    let profile = profile_name(cx);
    let found = match existing(cx, &profile).await? {
        Some(p) if ours(cx, p.tags()) => p,
        Some(_) => {
            return Err(name_taken(
                "iam",
                "CreateInstanceProfile",
                "an instance profile",
                &profile,
                cx.prefix,
            ));
        }
        None => {
            let out = cx
                .aws
                .iam
                .create_instance_profile()
                .instance_profile_name(&profile)
                .path(PATH)
                .set_tags(Some(tags(cx, Node::InstanceProfile)))
                .send()
                .await
                .map_err(on("iam", "CreateInstanceProfile"))?;
            out.instance_profile().cloned().ok_or_else(|| {
                AwsError::conflict(
                    "iam",
                    "CreateInstanceProfile",
                    "AWS returned no instance profile".into(),
                )
            })?
        }
    };
    if !found
        .roles()
        .iter()
        .any(|r| r.role_name() == role.role_name)
    {
        cx.aws
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(&profile)
            .role_name(&role.role_name)
            .send()
            .await
            .map_err(on("iam", "AddRoleToInstanceProfile"))?;
    }
    Ok(InstanceProfileState {
        name: profile,
        arn: found.arn().to_string(),
    })
}

/// The profile as it is now, or `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &InstanceProfileState,
) -> Result<Option<InstanceProfileState>, AwsError> {
    Ok(existing(cx, &state.name)
        .await?
        .map(|p| InstanceProfileState {
            name: state.name.clone(),
            arn: p.arn().to_string(),
        }))
}

/// Empties and deletes the profile; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &InstanceProfileState) -> Result<(), AwsError> {
    let Some(p) = existing(cx, &state.name).await? else {
        return Ok(());
    };
    for r in p.roles() {
        let removed = cx
            .aws
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(&state.name)
            .role_name(r.role_name())
            .send()
            .await;
        done_if_gone(removed.map_err(on("iam", "RemoveRoleFromInstanceProfile")))?;
    }
    done_if_gone(
        cx.aws
            .iam
            .delete_instance_profile()
            .instance_profile_name(&state.name)
            .send()
            .await
            .map_err(on("iam", "DeleteInstanceProfile")),
    )
}
