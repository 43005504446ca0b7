//! The public route table: a default route to the internet gateway, associated with every subnet.

use aws_sdk_ec2::types::{Filter, ResourceType, RouteTable};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::internet_gateway::InternetGatewayState;
use super::subnets::SubnetsState;
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on};
use crate::aws::AwsError;
use crate::fleet::plan::Node;

const DEFAULT_ROUTE: &str = "0.0.0.0/0";

/// What the fleet records about its route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableState {
    /// The route table's ID.
    pub route_table_id: String,
    /// Its subnet associations (needed to undo them).
    pub association_ids: Vec<String>,
}

async fn find(cx: &Ctx<'_>, filters: Vec<Filter>) -> Result<Option<RouteTable>, AwsError> {
    let out = cx
        .aws
        .ec2
        .describe_route_tables()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(on("ec2", "DescribeRouteTables"))?;
    Ok(out.route_tables().first().cloned())
}

/// Creates (or adopts) the table, then makes sure of the default route and every association.
pub async fn create(
    cx: &Ctx<'_>,
    vpc: &VpcState,
    igw: &InternetGatewayState,
    subnets: &SubnetsState,
) -> Result<RouteTableState, AwsError> {
    let table = match find(cx, identity_filters(cx, Node::RouteTable)).await? {
        Some(t) => t,
        None => {
            let spec = tag_spec(cx, Node::RouteTable, ResourceType::RouteTable, &[]);
            let out = cx
                .aws
                .ec2
                .create_route_table()
                .vpc_id(&vpc.vpc_id)
                .tag_specifications(spec)
                .send()
                .await
                .map_err(on("ec2", "CreateRouteTable"))?;
            out.route_table()
                .cloned()
                .unwrap_or_else(|| RouteTable::builder().build())
        }
    };
    let id = table.route_table_id().unwrap_or_default().to_string();
    if !table
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some(DEFAULT_ROUTE))
    {
        cx.aws
            .ec2
            .create_route()
            .route_table_id(&id)
            .destination_cidr_block(DEFAULT_ROUTE)
            .gateway_id(&igw.internet_gateway_id)
            .send()
            .await
            .map_err(on("ec2", "CreateRoute"))?;
    }
    let mut association_ids = Vec::new();
    for subnet in &subnets.subnet_ids {
        let existing = table
            .associations()
            .iter()
            .find(|a| a.subnet_id() == Some(subnet.as_str()))
            .and_then(|a| a.route_table_association_id());
        let assoc = match existing {
            Some(a) => a.to_string(),
            None => {
                let out = cx
                    .aws
                    .ec2
                    .associate_route_table()
                    .route_table_id(&id)
                    .subnet_id(subnet)
                    .send()
                    .await
                    .map_err(on("ec2", "AssociateRouteTable"))?;
                out.association_id().unwrap_or_default().to_string()
            }
        };
        association_ids.push(assoc);
    }
    Ok(RouteTableState {
        route_table_id: id,
        association_ids,
    })
}

/// The table as it is now, or `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &RouteTableState,
) -> Result<Option<RouteTableState>, AwsError> {
    let by_id = Filter::builder()
        .name("route-table-id")
        .values(&state.route_table_id)
        .build();
    Ok(find(cx, vec![by_id]).await?.as_ref().map(state_of))
}

/// The fleet's own table, found by its identity tags.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<RouteTableState>, AwsError> {
    let found = find(cx, identity_filters(cx, Node::RouteTable)).await?;
    Ok(found.as_ref().map(state_of))
}

fn state_of(t: &RouteTable) -> RouteTableState {
    RouteTableState {
        route_table_id: t.route_table_id().unwrap_or_default().to_string(),
        association_ids: t
            .associations()
            .iter()
            .filter(|a| !a.main().unwrap_or(false))
            .filter_map(|a| a.route_table_association_id().map(str::to_string))
            .collect(),
    }
}

/// Undoes the associations and deletes the table; what is already gone is skipped.
pub async fn delete(cx: &Ctx<'_>, state: &RouteTableState) -> Result<(), AwsError> {
    for a in &state.association_ids {
        done_if_gone(
            cx.aws
                .ec2
                .disassociate_route_table()
                .association_id(a)
                .send()
                .await
                .map_err(on("ec2", "DisassociateRouteTable")),
        )?;
    }
    done_if_gone(
        cx.aws
            .ec2
            .delete_route_table()
            .route_table_id(&state.route_table_id)
            .send()
            .await
            .map_err(on("ec2", "DeleteRouteTable")),
    )
}
