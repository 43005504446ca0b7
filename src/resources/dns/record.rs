//! The Route 53 alias records for the fleet's name: A and AAAA to the CloudFront distribution (which is
//! dual-stack), or A alone to the load balancer when the CDN is off (the ALB is IPv4-only here). Records
//! carry no tags, so before writing, the name is checked: a record there that is not already an alias to
//! the same target belongs to someone else and is never overwritten.
//!
//! The records are not discovered (import): they carry no tags and live in a hosted zone that only
//! the `dns` input names, so there is nothing to look in, or to prove ownership with. A fleet
//! imported with a record keeps it in AWS but not in its state; adding `dns` to the program and
//! running `pulumi up` adopts it again.

use std::time::Duration;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::{Ctx, Reconciler};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::cdn::distribution::{self, DistributionState};
use crate::resources::lb::load_balancer::LoadBalancerState;

/// Route 53 changes reach all its servers in about a minute.
const PROPAGATION_POLL: Duration = Duration::from_secs(5);
/// The call that configuration and ownership errors are reported under.
const OP: &str = "ChangeResourceRecordSets";

/// The DNS records' reconciler. Route 53 records take no tags, so it has no objects to re-tag.
pub struct DnsRecord;

/// A Route 53 alias record (A and AAAA) pointing at the distribution (or at the load balancer when the CDN
/// is off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// ID of the hosted zone that holds the record.
    pub hosted_zone_id: String,
    /// The zone's domain name; with no recordName the record is made at the zone apex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
    /// Fully qualified name of the record (inside the zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_name: Option<String>,
}

/// Where the records go and what they point at.
pub struct Spec {
    /// The zone and the name of the records.
    pub dns: Dns,
    /// What they point at.
    pub target: Target,
}

/// What the fleet records about its DNS records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecordState {
    /// The hosted zone holding the records.
    pub hosted_zone_id: String,
    /// Their fully qualified name, with a trailing dot.
    pub name: String,
    /// Their types (`A`, and `AAAA` for the distribution).
    pub types: Vec<String>,
}

/// What the records point at.
pub enum Target {
    /// The CloudFront distribution.
    Distribution(DistributionState),
    /// The load balancer (when the CDN is off).
    LoadBalancer(LoadBalancerState),
}

/// An alias target and the record types that point at it.
struct Alias {
    dns_name: String,
    hosted_zone_id: String,
    evaluate_target_health: bool,
    types: Vec<RrType>,
}

impl Target {
    fn alias(&self) -> Alias {
        match self {
            // CloudFront has no health for Route 53 to evaluate.
            Target::Distribution(d) => Alias {
                dns_name: d.domain_name.clone(),
                hosted_zone_id: distribution::HOSTED_ZONE_ID.into(),
                evaluate_target_health: false,
                types: vec![RrType::A, RrType::Aaaa],
            },
            Target::LoadBalancer(lb) => Alias {
                dns_name: format!("dualstack.{}", lb.dns_name),
                hosted_zone_id: lb.canonical_hosted_zone_id.clone(),
                evaluate_target_health: true,
                types: vec![RrType::A],
            },
        }
    }
}

/// The record's name: recordName, else the zone apex; fully qualified with a trailing dot. Check
/// refuses inputs with neither, so a nameless record here is a provider bug.
fn record_name(dns: &Dns) -> Result<String, Error> {
    let name = dns
        .record_name
        .as_ref()
        .or(dns.zone_name.as_ref())
        .ok_or_else(|| {
            Error::Internal(
            "the DNS record needs a name: set dns.recordName, or dns.zoneName for the zone apex"
                .into(),
        )
        })?;
    Ok(format!("{}.", name.trim_end_matches('.')))
}

/// DNS names compare without case and without the trailing dot.
fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// The record sets named `name`. They sort first in a listing that starts at the name.
async fn records_at(cx: &Ctx<'_>, zone: &str, name: &str) -> Result<Vec<ResourceRecordSet>, Error> {
    let out = cx
        .aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .send()
        .await
        .map_err(on("route53", "ListResourceRecordSets"))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|r| same_name(r.name(), name))
        .cloned()
        .collect())
}

/// Whether a record is a simple alias to exactly this target.
fn points_to(r: &ResourceRecordSet, alias: &Alias) -> bool {
    r.set_identifier().is_none()
        && r.alias_target().is_some_and(|t| {
            same_name(t.dns_name(), &alias.dns_name) && t.hosted_zone_id() == alias.hosted_zone_id
        })
}

/// A record that would be overwritten (a CNAME can share its name with no other record) and is not
/// already ours.
fn in_the_way(r: &ResourceRecordSet, alias: &Alias) -> bool {
    (alias.types.contains(r.r#type()) || *r.r#type() == RrType::Cname) && !points_to(r, alias)
}

fn describe(r: &ResourceRecordSet) -> String {
    match r.alias_target() {
        Some(t) => format!("an alias to {}", t.dns_name()),
        None => {
            let values: Vec<&str> = r.resource_records().iter().map(|v| v.value()).collect();
            values.join(", ")
        }
    }
}

fn taken(zone: &str, r: &ResourceRecordSet) -> Error {
    Error::Refused {
        service: "route53",
        operation: OP,
        reason: format!(
            "hosted zone {zone} already has a {} record {} that points elsewhere ({}); the fleet does not take over records it did not make: remove it, or choose another dns.recordName",
            r.r#type(),
            r.name(),
            describe(r)
        ),
        cause: None,
    }
}

fn alias_set(name: &str, ty: &RrType, alias: &Alias) -> Result<ResourceRecordSet, Error> {
    let target = AliasTarget::builder()
        .dns_name(&alias.dns_name)
        .hosted_zone_id(&alias.hosted_zone_id)
        .evaluate_target_health(alias.evaluate_target_health)
        .build()
        .map_err(Error::build("route53", OP))?;
    ResourceRecordSet::builder()
        .name(name)
        .r#type(ty.clone())
        .alias_target(target)
        .build()
        .map_err(Error::build("route53", OP))
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Result<Change, Error> {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(Error::build("route53", OP))
}

/// Submits the changes as one batch; returns the change's ID.
async fn submit(cx: &Ctx<'_>, changes: Vec<Change>, zone: &str) -> Result<String, Error> {
    let r53 = &cx.aws.route53;
    let batch = ChangeBatch::builder()
        .comment(format!("ec2fleet {}", cx.prefix))
        .set_changes(Some(changes))
        .build()
        .map_err(Error::build("route53", OP))?;
    let out = r53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(on("route53", OP))?;
    out.change_info()
        .map(|c| c.id().to_string())
        .ok_or_else(|| Error::missing("route53", OP, "the change ID"))
}

/// Waits until Route 53 has the change on all its servers (INSYNC).
async fn propagated(cx: &Ctx<'_>, name: &str, change_id: &str) -> Result<(), Error> {
    let what = format!("Route 53 record {name} to propagate");
    cx.waits
        .until(&what, PROPAGATION_POLL, || async {
            let got = cx.aws.route53.get_change().id(change_id).send().await;
            let got = got.map_err(on("route53", "GetChange"))?;
            let status = got.change_info().map(|c| c.status());
            Ok((status == Some(&ChangeStatus::Insync)).then_some(()))
        })
        .await
}

/// Whether a listed record is one of the state's alias records.
fn ours(r: &ResourceRecordSet, state: &DnsRecordState) -> bool {
    r.alias_target().is_some()
        && r.set_identifier().is_none()
        && state.types.iter().any(|t| t == r.r#type().as_str())
}

impl Reconciler for DnsRecord {
    type Spec = Spec;
    type Record = DnsRecordState;
    type Within = ();

    /// Creates (or updates) the alias records, refusing to overwrite a record of the same name that
    /// is not already an alias to the target.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<DnsRecordState, Error> {
        let dns = &spec.dns;
        let name = record_name(dns)?;
        let zone = &dns.hosted_zone_id;
        let alias = spec.target.alias();
        let existing = records_at(cx, zone, &name).await?;
        if let Some(other) = existing.iter().find(|r| in_the_way(r, &alias)) {
            return Err(taken(zone, other));
        }
        // Only the types not already aliased to the target: an update that changes nothing in DNS
        // submits nothing, and so waits for no propagation.
        let missing = alias.types.iter().filter(|ty| {
            !existing
                .iter()
                .any(|r| r.r#type() == *ty && points_to(r, &alias))
        });
        let changes = missing
            .map(|ty| change(ChangeAction::Upsert, alias_set(&name, ty, &alias)?))
            .collect::<Result<Vec<_>, _>>()?;
        if !changes.is_empty() {
            let change = submit(cx, changes, zone).await?;
            propagated(cx, &name, &change).await?;
        }
        Ok(DnsRecordState {
            hosted_zone_id: zone.clone(),
            name,
            types: alias.types.iter().map(|t| t.as_str().to_string()).collect(),
        })
    }

    /// The alias records that still exist, or `None` when none does (or the zone is gone).
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &DnsRecordState,
    ) -> Result<Option<DnsRecordState>, Error> {
        let Some(sets) = none_if_gone(records_at(cx, &state.hosted_zone_id, &state.name).await)?
        else {
            return Ok(None);
        };
        let types: Vec<String> = sets
            .iter()
            .filter(|r| ours(r, state))
            .map(|r| r.r#type().as_str().to_string())
            .collect();
        Ok((!types.is_empty()).then(|| DnsRecordState {
            types,
            ..state.clone()
        }))
    }

    /// Deletes the alias records, each exactly as currently listed (Route 53 requires the exact
    /// values); records or a zone already gone are done. It does not wait for the change to reach
    /// every server: nothing after it needs that (the record is gone from the zone at once, and
    /// CloudFront and the load balancer take deletes while names still resolve to them).
    async fn delete(&self, cx: &Ctx<'_>, state: &DnsRecordState) -> Result<(), Error> {
        let Some(sets) = none_if_gone(records_at(cx, &state.hosted_zone_id, &state.name).await)?
        else {
            return Ok(());
        };
        let changes = sets
            .into_iter()
            .filter(|r| ours(r, state))
            .map(|r| change(ChangeAction::Delete, r))
            .collect::<Result<Vec<_>, _>>()?;
        if changes.is_empty() {
            return Ok(());
        }
        done_if_gone(submit(cx, changes, &state.hosted_zone_id).await.map(drop))
    }

    /// Never finds any: records carry no tags and live in a zone only the `dns` input names, so
    /// nothing in AWS can show which record is the fleet's (see the module docs).
    async fn discover(&self, _cx: &Ctx<'_>, _within: &()) -> Result<Option<DnsRecordState>, Error> {
        Ok(None)
    }
}
