//! One public subnet per availability zone, carved from the VPC's CIDR, with public IPs on launch.

use std::net::Ipv4Addr;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AvailabilityZoneState, Filter, LocationType, ResourceType, Subnet,
};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on, Error};
use crate::cidr;

/// Tag saying which zone's subnet an object is (so each is adopted on its own).
const TAG_ZONE: &str = "ec2fleet:zone";

/// The fleet's public subnets, as a reconciler.
pub struct Subnets;

/// What the subnets are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The VPC they are carved from.
    pub vpc: VpcState,
    /// The zones the user named (`availabilityZones`); `None` for the region's first three.
    pub zones: Option<Vec<String>>,
    /// The instance type the fleet runs: the default zones are ones that offer it.
    pub instance_type: String,
}

/// What the fleet records about its subnets, in zone order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetsState {
    /// The zones, as given or as the region's first ones.
    pub availability_zones: Vec<String>,
    /// The subnet IDs, one per zone, same order.
    pub subnet_ids: Vec<String>,
    /// Their CIDR blocks, same order.
    pub cidrs: Vec<String>,
}

/// Splits `vpc` into `n` equal subnets, leaving at least a quarter of the space for later ones.
pub fn carve(vpc: &str, n: usize) -> Option<Vec<String>> {
    let (addr, len) = cidr::parse(vpc)?;
    let bits = ((n + 1) as f64).log2().ceil().max(2.0) as u8;
    let sub_len = len.checked_add(bits).filter(|l| *l <= 28)?;
    let size = 1u32 << (32 - sub_len);
    let base = u32::from(addr);
    Some(
        (0..n as u32)
            .map(|i| format!("{}/{sub_len}", Ipv4Addr::from(base + i * size)))
            .collect(),
    )
}

/// The zones to use: given, or the zones of the subnets the fleet has (a subnet never moves) and
/// then the region's first available Availability Zones that offer the instance type, three in
/// all. Local and Wavelength Zones are left out: an opted-in one sorts first, and offers neither a
/// load balancer nor most instance types.
async fn zones(cx: &Ctx<'_>, spec: &Spec, existing: &[Subnet]) -> Result<Vec<String>, Error> {
    if let Some(z) = &spec.zones {
        return Ok(z.clone());
    }
    let mut kept: Vec<String> = existing
        .iter()
        .filter_map(|s| s.availability_zone().map(str::to_string))
        .collect();
    kept.sort();
    kept.dedup();
    if kept.len() >= 3 {
        return Ok(kept);
    }
    let instance_type = spec.instance_type.as_str();
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let out = cx
        .aws
        .ec2
        .describe_availability_zones()
        .filters(filter("zone-type", "availability-zone"))
        .filters(filter("state", "available"))
        .send()
        .await
        .map_err(on("ec2", "DescribeAvailabilityZones"))?;
    let offers = offering(cx, instance_type).await?;
    let mut offered: Vec<String> = out
        .availability_zones()
        .iter()
        .filter(|z| z.state() == Some(&AvailabilityZoneState::Available))
        .filter_map(|z| z.zone_name().map(str::to_string))
        .filter(|z| offers.contains(z) && !kept.contains(z))
        .collect();
    offered.sort();
    let mut names = kept;
    names.extend(offered.into_iter().take(3 - names.len()));
    names.sort();
    if names.len() < 2 {
        return Err(Error::Failed {
            service: "ec2",
            operation: "DescribeInstanceTypeOfferings",
            reason: format!(
                "only {} availability zone(s) of {} offer instance type {instance_type} ({}); a load balancer needs two: choose another instanceType or name availabilityZones",
                names.len(),
                cx.aws.region,
                names.join(", ")
            ),
        });
    }
    Ok(names)
}

/// The zones of the region that offer `instance_type`.
async fn offering(cx: &Ctx<'_>, instance_type: &str) -> Result<Vec<String>, Error> {
    let mut zones = Vec::new();
    let mut pages = cx
        .aws
        .ec2
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(
            Filter::builder()
                .name("instance-type")
                .values(instance_type)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(on("ec2", "DescribeInstanceTypeOfferings"))?;
        zones.extend(
            page.instance_type_offerings()
                .iter()
                .filter_map(|o| o.location().map(str::to_string)),
        );
    }
    Ok(zones)
}

/// The subnets carrying this fleet's identity tags (in one VPC, when `vpc` filters on it).
async fn tagged(cx: &Ctx<'_>, vpc: Option<Filter>) -> Result<Vec<Subnet>, Error> {
    let mut filters = identity_filters(cx);
    filters.extend(vpc);
    let out = cx
        .aws
        .ec2
        .describe_subnets()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(on("ec2", "DescribeSubnets"))?;
    Ok(out.subnets().to_vec())
}

/// A filter on the recorded IDs: unlike `SubnetIds`, a filter does not fail when one is gone.
fn id_filter(state: &SubnetsState) -> Filter {
    Filter::builder()
        .name("subnet-id")
        .set_values(Some(state.subnet_ids.clone()))
        .build()
}

impl Reconciler for Subnets {
    type Spec = Spec;
    type Record = SubnetsState;
    type Within = ();

    /// Creates the subnets (adopting any this fleet made before) and turns on public IPs at launch.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<SubnetsState, Error> {
        let vpc = &spec.vpc;
        let in_vpc = Filter::builder().name("vpc-id").values(&vpc.vpc_id).build();
        let existing = tagged(cx, Some(in_vpc)).await?;
        let zones = zones(cx, spec, &existing).await?;
        // The inputs' checks keep the VPC's size and the zone count within what carving can split;
        // failing here rather than making no subnets shows a hole in those checks.
        let slots = carve(&vpc.cidr, zones.len()).ok_or_else(|| {
            Error::Internal(format!(
                "the VPC's CIDR {} cannot be carved into {} subnets",
                vpc.cidr,
                zones.len()
            ))
        })?;
        // A subnet made before keeps its block; a new one takes a slot no subnet holds.
        let taken: Vec<&str> = existing.iter().filter_map(|s| s.cidr_block()).collect();
        let mut free = slots.iter().filter(|c| !taken.contains(&c.as_str()));
        let (mut subnet_ids, mut cidrs) = (Vec::new(), Vec::new());
        for zone in &zones {
            let adopted = existing
                .iter()
                .find(|s| s.availability_zone() == Some(zone.as_str()));
            let id = match adopted.and_then(|s| Some((s.subnet_id()?, s.cidr_block()?))) {
                Some((id, cidr)) => {
                    cidrs.push(cidr.to_string());
                    id.to_string()
                }
                None => {
                    let cidr = free.next().ok_or_else(|| {
                        Error::Internal(format!(
                            "no free block in {} for a subnet in {zone}",
                            vpc.cidr
                        ))
                    })?;
                    cidrs.push(cidr.clone());
                    let tags = tag_spec(cx, ResourceType::Subnet, &[(TAG_ZONE, zone.clone())]);
                    let out = cx
                        .aws
                        .ec2
                        .create_subnet()
                        .vpc_id(&vpc.vpc_id)
                        .cidr_block(cidr)
                        .availability_zone(zone)
                        .tag_specifications(tags)
                        .send()
                        .await
                        .map_err(on("ec2", "CreateSubnet"))?;
                    out.subnet()
                        .and_then(|s| s.subnet_id())
                        .ok_or_else(|| Error::missing("ec2", "CreateSubnet", "the subnet ID"))?
                        .to_string()
                }
            };
            let public = AttributeBooleanValue::builder().value(true).build();
            cx.aws
                .ec2
                .modify_subnet_attribute()
                .subnet_id(&id)
                .map_public_ip_on_launch(public)
                .send()
                .await
                .map_err(on("ec2", "ModifySubnetAttribute"))?;
            subnet_ids.push(id);
        }
        Ok(SubnetsState {
            availability_zones: zones,
            subnet_ids,
            cidrs,
        })
    }

    /// The recorded subnets that still exist, in one call; `None` when none does.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &SubnetsState,
    ) -> Result<Option<SubnetsState>, Error> {
        let ids = id_filter(record);
        let out = cx
            .aws
            .ec2
            .describe_subnets()
            .filters(ids)
            .send()
            .await
            .map_err(on("ec2", "DescribeSubnets"))?;
        let live: Vec<_> = out
            .subnets()
            .iter()
            .filter_map(|s| Some((s.subnet_id()?, s.availability_zone()?, s.cidr_block()?)))
            .collect();
        if live.is_empty() {
            return Ok(None);
        }
        let mut now = SubnetsState {
            availability_zones: Vec::new(),
            subnet_ids: Vec::new(),
            cidrs: Vec::new(),
        };
        for id in &record.subnet_ids {
            if let Some((id, zone, cidr)) = live.iter().find(|(i, _, _)| i == id) {
                now.subnet_ids.push(id.to_string());
                now.availability_zones.push(zone.to_string());
                now.cidrs.push(cidr.to_string());
            }
        }
        Ok(Some(now))
    }

    /// Deletes every subnet; ones already gone are done.
    async fn delete(&self, cx: &Ctx<'_>, record: &SubnetsState) -> Result<(), Error> {
        for id in &record.subnet_ids {
            done_if_gone(
                cx.aws
                    .ec2
                    .delete_subnet()
                    .subnet_id(id)
                    .send()
                    .await
                    .map_err(on("ec2", "DeleteSubnet")),
            )?;
        }
        Ok(())
    }

    /// The fleet's own subnets, found by their identity tags, in zone order (subnets are carved in
    /// zone order, so that is their CIDRs' order); `None` when there are none.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<SubnetsState>, Error> {
        let mut found: Vec<(u32, String, String, String)> = tagged(cx, None)
            .await?
            .iter()
            .filter_map(|s| {
                let block = s.cidr_block()?;
                let (addr, _) = cidr::parse(block)?;
                let zone = s.availability_zone()?.to_string();
                Some((
                    u32::from(addr),
                    zone,
                    s.subnet_id()?.to_string(),
                    block.to_string(),
                ))
            })
            .collect();
        if found.is_empty() {
            return Ok(None);
        }
        found.sort();
        Ok(Some(SubnetsState {
            availability_zones: found.iter().map(|f| f.1.clone()).collect(),
            subnet_ids: found.iter().map(|f| f.2.clone()).collect(),
            cidrs: found.into_iter().map(|f| f.3).collect(),
        }))
    }

    fn tag_targets(&self, r: &SubnetsState) -> Vec<Target> {
        r.subnet_ids.iter().cloned().map(Target::Ec2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carving_splits_the_vpc_evenly_and_leaves_room() {
        assert_eq!(
            carve("10.0.0.0/16", 3).unwrap(),
            vec!["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
        );
        assert_eq!(
            carve("10.0.0.0/16", 2).unwrap(),
            vec!["10.0.0.0/18", "10.0.64.0/18"]
        );
        assert_eq!(
            carve("10.1.0.0/24", 6).unwrap(),
            vec![
                "10.1.0.0/27",
                "10.1.0.32/27",
                "10.1.0.64/27",
                "10.1.0.96/27",
                "10.1.0.128/27",
                "10.1.0.160/27"
            ]
        );
        assert_eq!(
            carve("10.0.0.0/27", 3),
            None,
            "AWS subnets can be no smaller than /28"
        );
    }
}
