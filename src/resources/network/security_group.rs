//! The fleet's two security groups, the load balancer's and the instances', as one reconciler (so a
//! refresh reads both in one call): find-or-create by identity tags, ingress made exactly what the
//! spec says, idempotent delete. What each group lets in is said in its own file
//! ([`super::load_balancer_security_group`], [`super::instance_security_group`]).

use std::collections::{HashMap, HashSet};

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::vpc::VpcState;
use super::{identity_filters, instance_security_group, load_balancer_security_group, tag_spec};
use crate::aws::error::{done_if_gone, on, Error};

/// Both of the fleet's security groups, as one reconciler; which one is the ctx's node.
pub struct SecurityGroup;

/// What a security group is made from: which of the two it is, and that one's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// The load balancer's group.
    LoadBalancer(load_balancer_security_group::Spec),
    /// The instances' group.
    Instances(instance_security_group::Spec),
}

/// What the fleet records about a security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupState {
    /// The group's ID.
    pub group_id: String,
}

/// The group this sub-resource made, found by its identity tags, with its ingress rules.
async fn find(cx: &Ctx<'_>) -> Result<Option<(SecurityGroupState, Vec<IpPermission>)>, Error> {
    let found = cx
        .aws
        .ec2
        .describe_security_groups()
        .set_filters(Some(identity_filters(cx)))
        .send()
        .await
        .map_err(on("ec2", "DescribeSecurityGroups"))?;
    Ok(found.security_groups().first().and_then(|g| {
        let state = SecurityGroupState {
            group_id: g.group_id()?.to_string(),
        };
        Some((state, g.ip_permissions().to_vec()))
    }))
}

/// Finds the group this sub-resource made, or creates it, then makes its ingress exactly
/// `ingress`: what is missing is granted, and what is no longer wanted (an SSH range the user
/// removed, the open rule of a CDN that is now on, an old listener port) is revoked.
async fn ensure(
    cx: &Ctx<'_>,
    vpc: &VpcState,
    name: &str,
    description: &str,
    ingress: Vec<IpPermission>,
) -> Result<SecurityGroupState, Error> {
    let (state, current) = match find(cx).await? {
        Some(found) => found,
        None => (create(cx, vpc, name, description).await?, vec![]),
    };
    let want = grants(&ingress);
    let have: HashSet<Grant> = grants(&current).into_iter().map(|(g, _)| g).collect();
    let wanted: HashSet<&Grant> = want.iter().map(|(g, _)| g).collect();
    let missing: Vec<IpPermission> = want
        .iter()
        .filter(|(g, _)| !have.contains(g))
        .map(|(_, p)| p.clone())
        .collect();
    let unwanted: Vec<IpPermission> = have
        .iter()
        .filter(|g| !wanted.contains(g))
        .map(Grant::rule)
        .collect();
    // Granting first leaves no moment in which wanted traffic is refused; but when old and new
    // rules together pass the group's rule quota (a CDN prefix list weighs 55 of its 60), the old
    // ones must go first.
    match authorize(cx, &state.group_id, &missing).await {
        Err(e)
            if e.code() == Some("RulesPerSecurityGroupLimitExceeded") && !unwanted.is_empty() =>
        {
            revoke(cx, &state.group_id, unwanted).await?;
            authorize(cx, &state.group_id, &missing).await?;
        }
        granted => {
            granted?;
            revoke(cx, &state.group_id, unwanted).await?;
        }
    }
    Ok(state)
}

/// Grants `rules` (none: nothing to do). The SDK's retry of a call whose answer was lost finds
/// them granted: the call is atomic, so that counts as done.
async fn authorize(cx: &Ctx<'_>, group_id: &str, rules: &[IpPermission]) -> Result<(), Error> {
    if rules.is_empty() {
        return Ok(());
    }
    let granted = cx
        .aws
        .ec2
        .authorize_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules.to_vec()))
        .send()
        .await
        .map_err(on("ec2", "AuthorizeSecurityGroupIngress"));
    match granted {
        Err(e) if e.code() != Some("InvalidPermission.Duplicate") => Err(e),
        _ => Ok(()),
    }
}

/// Revokes `rules` (none: nothing to do).
async fn revoke(cx: &Ctx<'_>, group_id: &str, rules: Vec<IpPermission>) -> Result<(), Error> {
    if rules.is_empty() {
        return Ok(());
    }
    cx.aws
        .ec2
        .revoke_security_group_ingress()
        .group_id(group_id)
        .set_ip_permissions(Some(rules))
        .send()
        .await
        .map_err(on("ec2", "RevokeSecurityGroupIngress"))?;
    Ok(())
}

async fn create(
    cx: &Ctx<'_>,
    vpc: &VpcState,
    name: &str,
    description: &str,
) -> Result<SecurityGroupState, Error> {
    let tags = tag_spec(cx, ResourceType::SecurityGroup, &[]);
    let out = cx
        .aws
        .ec2
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(&vpc.vpc_id)
        .tag_specifications(tags)
        .send()
        .await
        .map_err(on("ec2", "CreateSecurityGroup"))?;
    let group_id = out
        .group_id()
        .ok_or_else(|| Error::missing("ec2", "CreateSecurityGroup", "the security group ID"))?;
    Ok(SecurityGroupState {
        group_id: group_id.to_string(),
    })
}

/// Where one grant lets traffic in from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Source {
    Cidr(String),
    Ipv6Cidr(String),
    PrefixList(String),
    Group(String),
}

/// One source on one protocol and port range: the unit AWS authorizes and revokes. Descriptions
/// are left out, so a rule differing only in its description is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Grant {
    protocol: String,
    from: Option<i32>,
    to: Option<i32>,
    source: Source,
}

impl Grant {
    /// A rule that names just this grant, without a description, as revoking it needs.
    fn rule(&self) -> IpPermission {
        let rule = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .set_from_port(self.from)
            .set_to_port(self.to);
        match &self.source {
            Source::Cidr(c) => rule.ip_ranges(IpRange::builder().cidr_ip(c).build()),
            Source::Ipv6Cidr(c) => rule.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build()),
            Source::PrefixList(p) => {
                rule.prefix_list_ids(PrefixListId::builder().prefix_list_id(p).build())
            }
            Source::Group(g) => {
                rule.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build())
            }
        }
        .build()
    }
}

/// The rules split into single-source grants, each with a rule that grants just it, in the order
/// given (AWS lists ranges in the order granted, which import reads back).
fn grants(rules: &[IpPermission]) -> Vec<(Grant, IpPermission)> {
    let mut out = vec![];
    for rule in rules {
        let one = |source: Source| Grant {
            protocol: rule.ip_protocol().unwrap_or("-1").to_string(),
            from: rule.from_port(),
            to: rule.to_port(),
            source,
        };
        let just = || {
            IpPermission::builder()
                .set_ip_protocol(rule.ip_protocol().map(str::to_string))
                .set_from_port(rule.from_port())
                .set_to_port(rule.to_port())
        };
        for r in rule.ip_ranges() {
            let source = Source::Cidr(r.cidr_ip().unwrap_or_default().to_string());
            out.push((one(source), just().ip_ranges(r.clone()).build()));
        }
        for r in rule.ipv6_ranges() {
            let source = Source::Ipv6Cidr(r.cidr_ipv6().unwrap_or_default().to_string());
            out.push((one(source), just().ipv6_ranges(r.clone()).build()));
        }
        for p in rule.prefix_list_ids() {
            let source = Source::PrefixList(p.prefix_list_id().unwrap_or_default().to_string());
            out.push((one(source), just().prefix_list_ids(p.clone()).build()));
        }
        for g in rule.user_id_group_pairs() {
            let source = Source::Group(g.group_id().unwrap_or_default().to_string());
            out.push((one(source), just().user_id_group_pairs(g.clone()).build()));
        }
    }
    out
}

/// The group's ingress rules as they are now, or `None` when the group is gone (import reads the SSH
/// CIDRs from them).
pub async fn rules(
    cx: &Ctx<'_>,
    state: &SecurityGroupState,
) -> Result<Option<Vec<IpPermission>>, Error> {
    Ok(permissions(cx, &[state]).await?.remove(&state.group_id))
}

/// The ingress rules of those of `groups` that still exist, by group ID, in one call (none when
/// `groups` is empty). A `group-id` filter rather than `GroupIds`, because the latter fails the whole
/// call when any group is gone.
async fn permissions(
    cx: &Ctx<'_>,
    groups: &[&SecurityGroupState],
) -> Result<HashMap<String, Vec<IpPermission>>, Error> {
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = groups.iter().map(|g| g.group_id.clone()).collect();
    let out = cx
        .aws
        .ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await
        .map_err(on("ec2", "DescribeSecurityGroups"))?;
    Ok(out
        .security_groups()
        .iter()
        .filter_map(|g| Some((g.group_id()?.to_string(), g.ip_permissions().to_vec())))
        .collect())
}

/// Those of `groups` that still exist, in the order given, from one call.
async fn live(
    cx: &Ctx<'_>,
    groups: &[&SecurityGroupState],
) -> Result<Vec<Option<SecurityGroupState>>, Error> {
    let found = permissions(cx, groups).await?;
    Ok(groups
        .iter()
        .map(|g| found.contains_key(&g.group_id).then(|| (*g).clone()))
        .collect())
}

impl Reconciler for SecurityGroup {
    type Spec = Spec;
    type Record = SecurityGroupState;
    type Within = ();

    /// Creates (or adopts) the group and makes its ingress rules the spec's.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<SecurityGroupState, Error> {
        let (vpc, suffix, description, ingress) = match spec {
            Spec::LoadBalancer(s) => (
                &s.vpc,
                load_balancer_security_group::NAME_SUFFIX,
                load_balancer_security_group::DESCRIPTION,
                load_balancer_security_group::ingress(cx, s).await?,
            ),
            Spec::Instances(s) => (
                &s.vpc,
                instance_security_group::NAME_SUFFIX,
                instance_security_group::DESCRIPTION,
                instance_security_group::ingress(s),
            ),
        };
        let name = format!("{}-{suffix}", cx.prefix);
        ensure(cx, vpc, &name, description, ingress).await
    }

    /// The group as it is now, or `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &SecurityGroupState,
    ) -> Result<Option<SecurityGroupState>, Error> {
        Ok(live(cx, &[record]).await?.pop().flatten())
    }

    /// Both groups (or any number) in one `DescribeSecurityGroups` call.
    async fn read_many(
        &self,
        cx: &Ctx<'_>,
        records: &[&SecurityGroupState],
    ) -> Result<Vec<Option<SecurityGroupState>>, Error> {
        live(cx, records).await
    }

    /// Deletes the group; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, record: &SecurityGroupState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .ec2
                .delete_security_group()
                .group_id(&record.group_id)
                .send()
                .await
                .map_err(on("ec2", "DeleteSecurityGroup")),
        )
    }

    /// The group this sub-resource (the ctx's node) made, found by its identity tags.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<SecurityGroupState>, Error> {
        Ok(find(cx).await?.map(|(state, _)| state))
    }

    fn tag_targets(&self, r: &SecurityGroupState) -> Vec<Target> {
        vec![Target::Ec2(r.group_id.clone())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(cidrs: &[(&str, &str)]) -> IpPermission {
        let ranges = cidrs
            .iter()
            .map(|(c, d)| IpRange::builder().cidr_ip(*c).description(*d).build())
            .collect();
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .set_ip_ranges(Some(ranges))
            .build()
    }

    #[test]
    fn a_rule_splits_into_one_grant_a_source_and_descriptions_do_not_count() {
        let want = grants(&[ssh(&[("10.0.0.0/8", "SSH"), ("192.0.2.0/24", "SSH")])]);
        let have = grants(&[ssh(&[("10.0.0.0/8", "edited by hand")])]);
        assert_eq!(want.len(), 2);
        let missing: Vec<_> = want
            .iter()
            .map(|(g, _)| g)
            .filter(|g| !have.iter().any(|(h, _)| h == *g))
            .collect();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].source, Source::Cidr("192.0.2.0/24".into()));
        let revoke = missing[0].rule();
        assert_eq!(revoke.ip_ranges()[0].description(), None);
        assert_eq!(revoke.from_port(), Some(22));
    }
}
