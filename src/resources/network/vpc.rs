//! The fleet's VPC: DNS hostnames on (instances get public DNS names), tagged with the fleet's identity.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, none_if_gone, on, Error};

/// The fleet's VPC, as a reconciler.
pub struct Vpc;

/// What the VPC is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Its IPv4 CIDR block (the `vpcCidr` input).
    pub cidr: String,
}

/// What the fleet records about its VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcState {
    /// The VPC's ID.
    pub vpc_id: String,
    /// Its IPv4 CIDR block.
    pub cidr: String,
}

/// Finds the fleet's own VPC by its identity tags.
async fn find(cx: &Ctx<'_>) -> Result<Option<VpcState>, Error> {
    let out = cx
        .aws
        .ec2
        .describe_vpcs()
        .set_filters(Some(identity_filters(cx)))
        .send()
        .await
        .map_err(on("ec2", "DescribeVpcs"))?;
    Ok(out.vpcs().iter().find_map(|v| {
        Some(VpcState {
            vpc_id: v.vpc_id()?.to_string(),
            cidr: v.cidr_block()?.to_string(),
        })
    }))
}

async fn describe(
    cx: &Ctx<'_>,
    state: &VpcState,
) -> Result<Option<aws_sdk_ec2::types::Vpc>, Error> {
    let out = none_if_gone(
        cx.aws
            .ec2
            .describe_vpcs()
            .vpc_ids(&state.vpc_id)
            .send()
            .await
            .map_err(on("ec2", "DescribeVpcs")),
    )?;
    Ok(out.and_then(|out| out.vpcs().first().cloned()))
}

/// Every tag on the VPC; `None` when it is gone.
pub async fn tags(
    cx: &Ctx<'_>,
    state: &VpcState,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    Ok(describe(cx, state).await?.map(|v| {
        v.tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()
    }))
}

impl Reconciler for Vpc {
    type Spec = Spec;
    type Record = VpcState;
    type Within = ();

    /// Creates the VPC, or adopts the one this fleet made before, and turns DNS hostnames on.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<VpcState, Error> {
        let state = match find(cx).await? {
            Some(existing) => existing,
            None => {
                let tags = tag_spec(cx, ResourceType::Vpc, &[]);
                let out = cx
                    .aws
                    .ec2
                    .create_vpc()
                    .cidr_block(&spec.cidr)
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(on("ec2", "CreateVpc"))?;
                let vpc_id = out
                    .vpc()
                    .and_then(|v| v.vpc_id())
                    .ok_or_else(|| Error::missing("ec2", "CreateVpc", "the VPC ID"))?
                    .to_string();
                VpcState {
                    vpc_id,
                    cidr: spec.cidr.clone(),
                }
            }
        };
        let dns_hostnames = AttributeBooleanValue::builder().value(true).build();
        cx.aws
            .ec2
            .modify_vpc_attribute()
            .vpc_id(&state.vpc_id)
            .enable_dns_hostnames(dns_hostnames)
            .send()
            .await
            .map_err(on("ec2", "ModifyVpcAttribute"))?;
        Ok(state)
    }

    /// The VPC as it is now, or `None` when it is gone.
    async fn read(&self, cx: &Ctx<'_>, record: &VpcState) -> Result<Option<VpcState>, Error> {
        Ok(describe(cx, record).await?.map(|v| VpcState {
            vpc_id: record.vpc_id.clone(),
            cidr: v.cidr_block().unwrap_or_default().to_string(),
        }))
    }

    /// Deletes the VPC; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, record: &VpcState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .ec2
                .delete_vpc()
                .vpc_id(&record.vpc_id)
                .send()
                .await
                .map_err(on("ec2", "DeleteVpc")),
        )
    }

    /// The fleet's own VPC, found by its identity tags.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<VpcState>, Error> {
        find(cx).await
    }

    fn tag_targets(&self, r: &VpcState) -> Vec<Target> {
        vec![Target::Ec2(r.vpc_id.clone())]
    }
}
