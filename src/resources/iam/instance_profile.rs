//! The instance profile that hands the role to the instances.

use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::role::RoleState;
use super::{name, ours, tags, PATH};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// The instances' profile, carrying their role.
pub struct InstanceProfile;

/// What the profile is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The role to put in it.
    pub role: RoleState,
}

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
) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, Error> {
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

impl Reconciler for InstanceProfile {
    type Spec = Spec;
    type Record = InstanceProfileState;
    type Within = ();

    /// Creates (or adopts) the profile and puts the role in it.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<InstanceProfileState, Error> {
        let role = &spec.role;
        let profile = profile_name(cx);
        let found = match existing(cx, &profile).await? {
            Some(p) if ours(cx, p.tags()) => p,
            Some(_) => return Err(cx.name_taken("iam", "an instance profile", &profile)),
            None => {
                let out = cx
                    .aws
                    .iam
                    .create_instance_profile()
                    .instance_profile_name(&profile)
                    .path(PATH)
                    .set_tags(Some(tags(cx)))
                    .send()
                    .await
                    .map_err(on("iam", "CreateInstanceProfile"))?;
                out.instance_profile().cloned().ok_or_else(|| {
                    Error::missing("iam", "CreateInstanceProfile", "the instance profile")
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

    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &InstanceProfileState,
    ) -> Result<Option<InstanceProfileState>, Error> {
        Ok(existing(cx, &record.name)
            .await?
            .map(|p| InstanceProfileState {
                name: record.name.clone(),
                arn: p.arn().to_string(),
            }))
    }

    /// Empties and deletes the profile; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, record: &InstanceProfileState) -> Result<(), Error> {
        let Some(p) = existing(cx, &record.name).await? else {
            return Ok(());
        };
        for r in p.roles() {
            let removed = cx
                .aws
                .iam
                .remove_role_from_instance_profile()
                .instance_profile_name(&record.name)
                .role_name(r.role_name())
                .send()
                .await;
            done_if_gone(removed.map_err(on("iam", "RemoveRoleFromInstanceProfile")))?;
        }
        done_if_gone(
            cx.aws
                .iam
                .delete_instance_profile()
                .instance_profile_name(&record.name)
                .send()
                .await
                .map_err(on("iam", "DeleteInstanceProfile")),
        )
    }

    /// The fleet's profile, when it exists and carries the fleet's tag.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<InstanceProfileState>, Error> {
        let profile = profile_name(cx);
        let found = existing(cx, &profile).await?;
        Ok(found
            .filter(|p| ours(cx, p.tags()))
            .map(|p| InstanceProfileState {
                name: profile,
                arn: p.arn().to_string(),
            }))
    }

    fn tag_targets(&self, r: &InstanceProfileState) -> Vec<Target> {
        vec![Target::InstanceProfile(r.name.clone())]
    }
}
