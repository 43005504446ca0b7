//! What every fleet role shares: a service trust policy, AWS-managed policies, at most one inline
//! policy; adopted by name when it carries the fleet's tag; deleted with everything attached to it.
//! Each role says only what sets it apart ([`ServiceRole`]); this file makes every one of them a
//! [`Reconciler`].

use aws_sdk_iam::types::Role;
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::{name, ours, tags, PATH};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// One of the fleet's roles: what sets it apart from the others.
pub trait ServiceRole: Sync {
    /// What its inline policy refers to (`()` when it has none).
    type Spec: Send + Sync;
    /// Name suffix: the role is `<prefix>-<suffix>`.
    const SUFFIX: &'static str;
    /// The AWS service that assumes it, like `ec2.amazonaws.com`.
    const SERVICE: &'static str;
    /// AWS-managed policies attached to it.
    const MANAGED: &'static [&'static str];
    /// The name of its inline policy, when it has one.
    const INLINE: Option<&'static str>;
    /// The inline policy's document for `spec` (ignored without [`ServiceRole::INLINE`]).
    fn policy(spec: &Self::Spec) -> serde_json::Value;
}

impl<R: ServiceRole> Reconciler for R {
    type Spec = R::Spec;
    type Record = RoleState;
    type Within = ();

    async fn apply(&self, cx: &Ctx<'_>, spec: &R::Spec) -> Result<RoleState, Error> {
        let shape = Shape {
            suffix: R::SUFFIX,
            service: R::SERVICE,
            managed: R::MANAGED,
            inline: R::INLINE.map(|name| (name, R::policy(spec))),
        };
        ensure(cx, &shape).await
    }

    async fn read(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<Option<RoleState>, Error> {
        read(cx, record).await
    }

    async fn delete(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<(), Error> {
        delete(cx, record, R::MANAGED, R::INLINE).await
    }

    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<RoleState>, Error> {
        discover(cx, R::SUFFIX).await
    }

    fn tag_targets(&self, r: &RoleState) -> Vec<Target> {
        vec![Target::Role(r.role_name.clone())]
    }
}

/// What the fleet records about a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleState {
    /// The role's name.
    pub role_name: String,
    /// The role's ARN.
    pub role_arn: String,
}

/// One role's shape, for a spec (the tags come from the sub-resource's context).
struct Shape<'a> {
    /// Name suffix: the role is `<prefix>-<suffix>`.
    pub suffix: &'a str,
    /// The AWS service that assumes it, like `ec2.amazonaws.com`.
    pub service: &'a str,
    /// AWS-managed policies to attach.
    pub managed: &'a [&'a str],
    /// The inline policy: name and document.
    pub inline: Option<(&'a str, serde_json::Value)>,
}

fn trust(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

async fn existing(cx: &Ctx<'_>, role_name: &str) -> Result<Option<Role>, Error> {
    let got = cx.aws.iam.get_role().role_name(role_name).send().await;
    Ok(none_if_gone(got.map_err(on("iam", "GetRole")))?.and_then(|out| out.role().cloned()))
}

/// Creates the role (or adopts the one this fleet made), then sets its policies.
async fn ensure(cx: &Ctx<'_>, shape: &Shape<'_>) -> Result<RoleState, Error> {
    let role_name = name(cx, shape.suffix);
    let iam = &cx.aws.iam;
    let role = match existing(cx, &role_name).await? {
        Some(r) if ours(cx, r.tags()) => r,
        Some(_) => return Err(cx.name_taken("iam", "a role", &role_name)),
        None => {
            let out = iam
                .create_role()
                .role_name(&role_name)
                .path(PATH)
                .assume_role_policy_document(trust(shape.service))
                .set_tags(Some(tags(cx)))
                .send()
                .await
                .map_err(on("iam", "CreateRole"))?;
            out.role()
                .cloned()
                .ok_or_else(|| Error::missing("iam", "CreateRole", "the role"))?
        }
    };
    for arn in shape.managed {
        iam.attach_role_policy()
            .role_name(&role_name)
            .policy_arn(*arn)
            .send()
            .await
            .map_err(on("iam", "AttachRolePolicy"))?;
    }
    if let Some((policy_name, doc)) = &shape.inline {
        let put = iam
            .put_role_policy()
            .role_name(&role_name)
            .policy_name(*policy_name)
            .policy_document(doc.to_string());
        put.send().await.map_err(on("iam", "PutRolePolicy"))?;
    }
    Ok(RoleState {
        role_name,
        role_arn: role.arn().to_string(),
    })
}

/// The fleet's role `<prefix>-<suffix>`, when it exists and carries the fleet's tag.
async fn discover(cx: &Ctx<'_>, suffix: &str) -> Result<Option<RoleState>, Error> {
    let found = existing(cx, &name(cx, suffix)).await?;
    Ok(found.filter(|r| ours(cx, r.tags())).map(|r| RoleState {
        role_name: r.role_name().to_string(),
        role_arn: r.arn().to_string(),
    }))
}

/// The role as it is now, or `None` when it is gone.
async fn read(cx: &Ctx<'_>, state: &RoleState) -> Result<Option<RoleState>, Error> {
    Ok(existing(cx, &state.role_name).await?.map(|r| RoleState {
        role_name: r.role_name().to_string(),
        role_arn: r.arn().to_string(),
    }))
}

/// Takes the role out of instance profiles, detaches and deletes its policies, deletes it; what is
/// already gone is skipped (IAM refuses to delete a role with anything still attached).
async fn delete(
    cx: &Ctx<'_>,
    state: &RoleState,
    managed: &[&str],
    inline: Option<&str>,
) -> Result<(), Error> {
    let role = state.role_name.as_str();
    let iam = &cx.aws.iam;
    let listed = none_if_gone(
        iam.list_instance_profiles_for_role()
            .role_name(role)
            .send()
            .await
            .map_err(on("iam", "ListInstanceProfilesForRole")),
    )?;
    let Some(listed) = listed else { return Ok(()) };
    for p in listed.instance_profiles() {
        let removed = iam
            .remove_role_from_instance_profile()
            .instance_profile_name(p.instance_profile_name())
            .role_name(role)
            .send()
            .await;
        done_if_gone(removed.map_err(on("iam", "RemoveRoleFromInstanceProfile")))?;
    }
    for arn in managed {
        done_if_gone(
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(*arn)
                .send()
                .await
                .map_err(on("iam", "DetachRolePolicy")),
        )?;
    }
    if let Some(policy_name) = inline {
        done_if_gone(
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await
                .map_err(on("iam", "DeleteRolePolicy")),
        )?;
    }
    done_if_gone(
        iam.delete_role()
            .role_name(role)
            .send()
            .await
            .map_err(on("iam", "DeleteRole")),
    )
}
