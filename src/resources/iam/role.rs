//! What every fleet role shares: a service trust policy (under the conditions the role states),
//! AWS-managed policies, at most one inline policy; adopted by name when it carries the fleet's tag,
//! then brought to its trust and policies; deleted with everything attached to it. Each role says
//! only what sets it apart ([`ServiceRole`]); this file makes every one of them a [`Reconciler`].

use aws_sdk_iam::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::{name, ours, tags, PATH};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// Where the fleet's objects are: what the ARNs in a role's policies are built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The region's partition (`aws`, `aws-cn`, ...; see [`crate::aws::partition_of`]).
    pub partition: &'a str,
    /// The region.
    pub region: &'a str,
    /// The caller's account.
    pub account: &'a str,
    /// The fleet's name prefix.
    pub prefix: &'a str,
}

impl<'a> Scope<'a> {
    /// The scope of `cx`'s fleet, in `account` (the caller's).
    pub fn of(cx: &'a Ctx<'_>, account: &'a str) -> Self {
        Scope {
            partition: cx.aws.partition(),
            region: &cx.aws.region,
            account,
            prefix: cx.prefix,
        }
    }

    /// The ARN of a regional object of `service`: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// The ARN of the bucket `bucket`: `arn:PARTITION:s3:::BUCKET`.
    pub fn bucket_arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", self.partition)
    }

    /// The ARN of the fleet's role `<prefix>-<suffix>`, under the fleet's IAM path.
    pub fn role_arn(&self, suffix: &str) -> String {
        format!(
            "arn:{}:iam::{}:role{PATH}{}-{suffix}",
            self.partition, self.account, self.prefix
        )
    }
}

/// One of the fleet's roles: what sets it apart from the others.
pub trait ServiceRole: Sync {
    /// What its inline policy refers to (`()` when it has none).
    type Spec: Send + Sync;
    /// Name suffix: the role is `<prefix>-<suffix>`.
    const SUFFIX: &'static str;
    /// The AWS service that assumes it, like `ec2.amazonaws.com`.
    const SERVICE: &'static str;
    /// AWS-managed policies attached to it, by name (`service-role/AWSCodeDeployRole`); their ARNs
    /// are in the region's partition ([`managed_arn`]).
    const MANAGED: &'static [&'static str];
    /// The name of its inline policy, when it has one.
    const INLINE: Option<&'static str>;
    /// The inline policy's document for `spec` (ignored without [`ServiceRole::INLINE`]).
    fn policy(spec: &Self::Spec, at: &Scope<'_>) -> serde_json::Value;
    /// The `Condition` of its trust statement: the confused-deputy keys (`aws:SourceAccount`,
    /// `aws:SourceArn`) that limit on whose behalf [`ServiceRole::SERVICE`] may assume it, or
    /// `None` for a plain trust.
    fn trust_conditions(at: &Scope<'_>) -> Option<serde_json::Value>;
}

/// The ARN of the AWS-managed policy `name` (`service-role/AWSCodeDeployRole`) in `partition`.
pub fn managed_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

/// The trust policy letting `service` assume the role, under `conditions` when there are any.
pub fn trust_policy(service: &str, conditions: Option<serde_json::Value>) -> serde_json::Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole"
    });
    if let Some(c) = conditions {
        statement["Condition"] = c;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// The ARNs of the AWS-managed policies `names` in `partition`.
fn managed_arns(partition: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| managed_arn(partition, n)).collect()
}

impl<R: ServiceRole> Reconciler for R {
    type Spec = R::Spec;
    type Record = RoleState;
    type Within = ();

    async fn apply(&self, cx: &Ctx<'_>, spec: &R::Spec) -> Result<RoleState, Error> {
        let account = cx.aws.account_id().await?;
        let at = Scope::of(cx, &account);
        let shape = Shape {
            suffix: R::SUFFIX,
            trust: trust_policy(R::SERVICE, R::trust_conditions(&at)),
            managed: managed_arns(at.partition, R::MANAGED),
            inline: R::INLINE.map(|name| (name, R::policy(spec, &at))),
        };
        ensure(cx, &shape).await
    }

    async fn read(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<Option<RoleState>, Error> {
        read(cx, record).await
    }

    async fn delete(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<(), Error> {
        let managed = managed_arns(cx.aws.partition(), R::MANAGED);
        delete(cx, record, &managed, R::INLINE).await
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
    /// The trust policy.
    pub trust: serde_json::Value,
    /// ARNs of the AWS-managed policies to attach.
    pub managed: Vec<String>,
    /// The inline policy: name and document.
    pub inline: Option<(&'a str, serde_json::Value)>,
}

/// A policy document as IAM returns it (GetRole's trust policy, GetRolePolicy's document):
/// URL-encoded JSON; `None` when it is not.
pub fn policy_document(encoded: &str) -> Option<serde_json::Value> {
    serde_json::from_str(&url_decoded(encoded)).ok()
}

/// Whether the role's trust policy is `wanted`; one that does not parse is not.
fn trusts_as(role: &Role, wanted: &serde_json::Value) -> bool {
    role.assume_role_policy_document()
        .and_then(policy_document)
        .is_some_and(|doc| doc == *wanted)
}

/// `s` with its `%XX` escapes (and `+`, a space in form encoding) decoded; a `%` that starts no
/// escape stays as it is.
fn url_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn existing(cx: &Ctx<'_>, role_name: &str) -> Result<Option<Role>, Error> {
    let got = cx.aws.iam.get_role().role_name(role_name).send().await;
    Ok(none_if_gone(got.map_err(on("iam", "GetRole")))?.and_then(|out| out.role().cloned()))
}

/// Creates the role, or adopts the one this fleet made and brings its trust policy to the wanted
/// one (an update that changes the conditions, or a role made before they existed); then sets its
/// policies.
async fn ensure(cx: &Ctx<'_>, shape: &Shape<'_>) -> Result<RoleState, Error> {
    let role_name = name(cx, shape.suffix);
    let iam = &cx.aws.iam;
    let role = match existing(cx, &role_name).await? {
        Some(r) if ours(cx, r.tags()) => {
            if !trusts_as(&r, &shape.trust) {
                iam.update_assume_role_policy()
                    .role_name(&role_name)
                    .policy_document(shape.trust.to_string())
                    .send()
                    .await
                    .map_err(on("iam", "UpdateAssumeRolePolicy"))?;
            }
            r
        }
        Some(_) => return Err(cx.name_taken("iam", "a role", &role_name)),
        None => {
            let out = iam
                .create_role()
                .role_name(&role_name)
                .path(PATH)
                .assume_role_policy_document(shape.trust.to_string())
                .set_tags(Some(tags(cx)))
                .send()
                .await
                .map_err(on("iam", "CreateRole"))?;
            out.role()
                .cloned()
                .ok_or_else(|| Error::missing("iam", "CreateRole", "the role"))?
        }
    };
    for arn in &shape.managed {
        iam.attach_role_policy()
            .role_name(&role_name)
            .policy_arn(arn)
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
    managed: &[String],
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
                .policy_arn(arn)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const AT: Scope<'static> = Scope {
        partition: "aws-iso-b",
        region: "us-isob-east-1",
        account: "123456789012",
        prefix: "web",
    };

    #[test]
    fn the_scopes_arns_are_in_its_partition() {
        assert_eq!(
            AT.arn("codepipeline", "web-pipeline"),
            "arn:aws-iso-b:codepipeline:us-isob-east-1:123456789012:web-pipeline"
        );
        assert_eq!(AT.bucket_arn("web-source"), "arn:aws-iso-b:s3:::web-source");
        assert_eq!(
            AT.role_arn("instance"),
            "arn:aws-iso-b:iam::123456789012:role/ec2fleet/web-instance"
        );
        assert_eq!(
            managed_arn(AT.partition, "AmazonSSMManagedInstanceCore"),
            "arn:aws-iso-b:iam::aws:policy/AmazonSSMManagedInstanceCore"
        );
    }

    #[test]
    fn a_trust_has_a_condition_only_when_the_role_states_one() {
        let plain = trust_policy("ec2.amazonaws.com", None);
        assert!(plain["Statement"][0].get("Condition").is_none(), "{plain}");
        let c = json!({"StringEquals": {"aws:SourceAccount": "1"}});
        let guarded = trust_policy("events.amazonaws.com", Some(c.clone()));
        assert_eq!(guarded["Statement"][0]["Condition"], c);
        assert_eq!(
            guarded["Statement"][0]["Principal"]["Service"],
            "events.amazonaws.com"
        );
    }

    #[test]
    fn the_trust_iam_returns_is_compared_decoded_and_as_json() {
        let wanted = trust_policy(
            "events.amazonaws.com",
            Some(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}})),
        );
        let role = |doc: &str| {
            Role::builder()
                .role_name("r")
                .path("/")
                .role_id("AROA")
                .arn("arn:aws:iam::1:role/r")
                .create_date(aws_smithy_types::DateTime::from_secs(0))
                .assume_role_policy_document(doc)
                .build()
                .unwrap()
        };
        // URL-encoded, with its keys in another order and other spacing: the same policy.
        let same = r#"{"Statement": [{"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}, "Action": "sts:AssumeRole", "Principal": {"Service": "events.amazonaws.com"}, "Effect": "Allow"}], "Version": "2012-10-17"}"#;
        let encoded: String = same
            .bytes()
            .map(|b| match b {
                b'{' | b'}' | b'"' | b':' | b',' | b' ' | b'[' | b']' => format!("%{b:02X}"),
                b => (b as char).to_string(),
            })
            .collect();
        assert!(trusts_as(&role(&encoded), &wanted), "{encoded}");
        assert!(trusts_as(&role(same), &wanted));
        // The old plain trust, or a document that is not JSON, is not.
        let plain = trust_policy("events.amazonaws.com", None).to_string();
        assert!(!trusts_as(&role(&plain), &wanted));
        assert!(!trusts_as(&role("%7Bnot json"), &wanted));
    }

    #[test]
    fn url_decoding_leaves_what_is_no_escape() {
        assert_eq!(url_decoded("a%20b+c%2"), "a b c%2");
        assert_eq!(url_decoded("100%"), "100%");
        assert_eq!(url_decoded("%zz%41"), "%zzA");
    }
}
