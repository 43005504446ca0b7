//! The public route table: a default route to the internet gateway, associated with every subnet.

use aws_sdk_ec2::types::{Filter, ResourceType};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::internet_gateway::InternetGatewayState;
use super::subnets::SubnetsState;
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on, Error};

const DEFAULT_ROUTE: &str = "0.0.0.0/0";

/// The fleet's public route table, as a reconciler.
pub struct RouteTable;

/// What the route table is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The VPC it lives in.
    pub vpc: VpcState,
    /// The gateway its default route goes to.
    pub gateway: InternetGatewayState,
    /// The subnets associated with it.
    pub subnets: SubnetsState,
}

/// What the fleet records about its route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableState {
    /// The route table's ID.
    pub route_table_id: String,
    /// Its subnet associations (needed to undo them).
    pub association_ids: Vec<String>,
}

async fn find(
    cx: &Ctx<'_>,
    filters: Vec<Filter>,
) -> Result<Option<aws_sdk_ec2::types::RouteTable>, Error> {
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

fn state_of(t: &aws_sdk_ec2::types::RouteTable) -> RouteTableState {
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

impl Reconciler for RouteTable {
    type Spec = Spec;
    type Record = RouteTableState;
    type Within = ();

    /// Creates (or adopts) the table, then makes sure of the default route and every association.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<RouteTableState, Error> {
        let table = match find(cx, identity_filters(cx)).await? {
            Some(t) => t,
            None => {
                let tags = tag_spec(cx, ResourceType::RouteTable, &[]);
                let out = cx
                    .aws
                    .ec2
                    .create_route_table()
                    .vpc_id(&spec.vpc.vpc_id)
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(on("ec2", "CreateRouteTable"))?;
                out.route_table()
                    .filter(|t| t.route_table_id().is_some())
                    .cloned()
                    .ok_or_else(|| {
                        Error::missing("ec2", "CreateRouteTable", "the route table ID")
                    })?
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
                .gateway_id(&spec.gateway.internet_gateway_id)
                .send()
                .await
                .map_err(on("ec2", "CreateRoute"))?;
        }
        let mut association_ids = Vec::new();
        for subnet in &spec.subnets.subnet_ids {
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
                    out.association_id()
                        .ok_or_else(|| {
                            Error::missing("ec2", "AssociateRouteTable", "the association ID")
                        })?
                        .to_string()
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
    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &RouteTableState,
    ) -> Result<Option<RouteTableState>, Error> {
        let by_id = Filter::builder()
            .name("route-table-id")
            .values(&record.route_table_id)
            .build();
        Ok(find(cx, vec![by_id]).await?.as_ref().map(state_of))
    }

    /// Undoes the associations and deletes the table; what is already gone is skipped.
    async fn delete(&self, cx: &Ctx<'_>, record: &RouteTableState) -> Result<(), Error> {
        for a in &record.association_ids {
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
                .route_table_id(&record.route_table_id)
                .send()
                .await
                .map_err(on("ec2", "DeleteRouteTable")),
        )
    }

    /// The fleet's own table, found by its identity tags.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<RouteTableState>, Error> {
        let found = find(cx, identity_filters(cx)).await?;
        Ok(found.as_ref().map(state_of))
    }

    fn tag_targets(&self, r: &RouteTableState) -> Vec<Target> {
        vec![Target::Ec2(r.route_table_id.clone())]
    }
}
