//! What both of the fleet's security groups share: find-or-create by identity tags, idempotent ingress,
//! idempotent delete.

use std::collections::{HashMap, HashSet};

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair,
};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

/// What the fleet records about a security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupState {
    /// The group's ID.
    pub group_id: String,
}

/// The group this fleet made for `node`, found by its identity tags.
pub(crate) async fn discover(
    cx: &Ctx<'_>,
    node: Node,
) -> Result<Option<SecurityGroupState>, AwsError> {
    Ok(find(cx, node).await?.map(|(state, _)| state))
}

/// The group this fleet made for `node` with its ingress rules.
async fn find(
    cx: &Ctx<'_>,
    node: Node,
) -> Result<Option<(SecurityGroupState, Vec<IpPermission>)>, AwsError> {
    let found = cx
        .aws
        .ec2
        .describe_security_groups()
        .set_filters(Some(identity_filters(cx, node)))
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

/// Finds the group this fleet made for `node`, or creates it, then makes its ingress exactly
/// `ingress`: what is missing is granted, and what is no longer wanted (an SSH range the user
/// removed, the open rule of a CDN that is now on, an old listener port) is revoked.
pub async fn ensure(
    cx: &Ctx<'_>,
    node: Node,
    vpc: &VpcState,
    name: &str,
    description: &str,
    ingress: Vec<IpPermission>,
) -> Result<SecurityGroupState, AwsError> {
    let (state, current) = match find(cx, node).await? {
        Some(found) => found,
        None => (create(cx, node, vpc, name, description).await?, vec![]),
    };
    let want = grants(&ingress);
    let have: HashSet<Grant> = grants(&current).into_iter().map(|(g, _)| g).collect();
    let wanted: HashSet<&Grant> = want.iter().map(|(g, _)| g).collect();
    let missing: Vec<_> = want.iter().filter(|(g, _)| !have.contains(g)).collect();
    let unwanted: Vec<_> = have.iter().filter(|g| !wanted.contains(g)).collect();
    if !missing.is_empty() {
        let granted = cx
            .aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(&state.group_id)
            .set_ip_permissions(Some(missing.into_iter().map(|(_, p)| p.clone()).collect()))
            .send()
            .await
            .map_err(on("ec2", "AuthorizeSecurityGroupIngress"));
        // The SDK's retry of a call whose answer was lost finds them granted: the call is atomic.
        match granted {
            Err(e) if e.code.as_deref() != Some("InvalidPermission.Duplicate") => return Err(e),
            _ => {}
        }
    }
    if !unwanted.is_empty() {
        cx.aws
            .ec2
            .revoke_security_group_ingress()
            .group_id(&state.group_id)
            .set_ip_permissions(Some(unwanted.into_iter().map(Grant::rule).collect()))
            .send()
            .await
            .map_err(on("ec2", "RevokeSecurityGroupIngress"))?;
    }
    Ok(state)
}

async fn create(
    cx: &Ctx<'_>,
    node: Node,
    vpc: &VpcState,
    name: &str,
    description: &str,
) -> Result<SecurityGroupState, AwsError> {
    let spec = tag_spec(cx, node, ResourceType::SecurityGroup, &[]);
    let out = cx
        .aws
        .ec2
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(&vpc.vpc_id)
        .tag_specifications(spec)
        .send()
        .await
        .map_err(on("ec2", "CreateSecurityGroup"))?;
    Ok(SecurityGroupState {
        group_id: out.group_id().unwrap_or_default().to_string(),
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

/// The group's ingress rules as they are now, or `None` when the group is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &SecurityGroupState,
) -> Result<Option<Vec<IpPermission>>, AwsError> {
    Ok(read_many(cx, &[state]).await?.remove(&state.group_id))
}

/// The ingress rules of those of `groups` that still exist, by group ID, in one call. A `group-id`
/// filter rather than `GroupIds`, because the latter fails the whole call when any group is gone.
pub async fn read_many(
    cx: &Ctx<'_>,
    groups: &[&SecurityGroupState],
) -> Result<HashMap<String, Vec<IpPermission>>, AwsError> {
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

/// Deletes the group; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &SecurityGroupState) -> Result<(), AwsError> {
    done_if_gone(
        cx.aws
            .ec2
            .delete_security_group()
            .group_id(&state.group_id)
            .send()
            .await
            .map_err(on("ec2", "DeleteSecurityGroup")),
    )
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
