//! The fleet's VPC: DNS hostnames on (instances get public DNS names), tagged with the fleet's identity.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Vpc};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

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
pub(crate) async fn find(cx: &Ctx<'_>) -> Result<Option<VpcState>, AwsError> {
    let out = cx
        .aws
        .ec2
        .describe_vpcs()
        .set_filters(Some(identity_filters(cx, Node::Vpc)))
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

/// Creates the VPC, or adopts the one this fleet made before.
pub async fn create(cx: &Ctx<'_>) -> Result<VpcState, AwsError> {
    let state = match find(cx).await? {
        Some(existing) => existing,
        None => {
            let spec = tag_spec(cx, Node::Vpc, ResourceType::Vpc, &[]);
            let out = cx
                .aws
                .ec2
                .create_vpc()
                .cidr_block(&cx.args.vpc_cidr)
                .tag_specifications(spec)
                .send()
                .await
                .map_err(on("ec2", "CreateVpc"))?;
            let vpc_id = out
                .vpc()
                .and_then(|v| v.vpc_id())
                .unwrap_or_default()
                .to_string();
            VpcState {
                vpc_id,
                cidr: cx.args.vpc_cidr.clone(),
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

async fn describe(cx: &Ctx<'_>, state: &VpcState) -> Result<Option<Vpc>, AwsError> {
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

/// The VPC as it is now, or `None` when it is gone.
pub async fn read(cx: &Ctx<'_>, state: &VpcState) -> Result<Option<VpcState>, AwsError> {
    Ok(describe(cx, state).await?.map(|v| VpcState {
        vpc_id: state.vpc_id.clone(),
        cidr: v.cidr_block().unwrap_or_default().to_string(),
    }))
}

/// Every tag on the VPC; `None` when it is gone.
pub(crate) async fn tags(
    cx: &Ctx<'_>,
    state: &VpcState,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    Ok(describe(cx, state).await?.map(|v| {
        v.tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()
    }))
}

/// Deletes the VPC; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &VpcState) -> Result<(), AwsError> {
    done_if_gone(
        cx.aws
            .ec2
            .delete_vpc()
            .vpc_id(&state.vpc_id)
            .send()
            .await
            .map_err(on("ec2", "DeleteVpc")),
    )
}
