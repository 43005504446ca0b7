//! The internet gateway, attached to the fleet's VPC.

use aws_sdk_ec2::types::{Filter, InternetGateway, ResourceType};
use serde::{Deserialize, Serialize};

use super::super::Ctx;
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on};
use crate::aws::{AwsError, ErrorClass};
use crate::fleet::plan::Node;

/// What the fleet records about its internet gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternetGatewayState {
    /// The gateway's ID.
    pub internet_gateway_id: String,
    /// The VPC it is attached to.
    pub vpc_id: String,
}

async fn describe(cx: &Ctx<'_>, filters: Vec<Filter>) -> Result<Option<InternetGateway>, AwsError> {
    let out = cx
        .aws
        .ec2
        .describe_internet_gateways()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(on("ec2", "DescribeInternetGateways"))?;
    Ok(out.internet_gateways().first().cloned())
}

fn state_of(g: &InternetGateway) -> InternetGatewayState {
    InternetGatewayState {
        internet_gateway_id: g.internet_gateway_id().unwrap_or_default().to_string(),
        vpc_id: g
            .attachments()
            .first()
            .and_then(|a| a.vpc_id())
            .unwrap_or_default()
            .to_string(),
    }
}

/// The fleet's own gateway, found by its identity tags.
pub(crate) async fn discover(cx: &Ctx<'_>) -> Result<Option<InternetGatewayState>, AwsError> {
    let found = describe(cx, identity_filters(cx, Node::InternetGateway)).await?;
    Ok(found.as_ref().map(state_of))
}

/// Creates (or adopts) the gateway and attaches it to the VPC if it is not attached yet.
pub async fn create(cx: &Ctx<'_>, vpc: &VpcState) -> Result<InternetGatewayState, AwsError> {
    let found = describe(cx, identity_filters(cx, Node::InternetGateway)).await?;
    let (id, attached) = match found {
        Some(g) => {
            let attached = g
                .attachments()
                .iter()
                .any(|a| a.vpc_id() == Some(vpc.vpc_id.as_str()));
            (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                attached,
            )
        }
        None => {
            let spec = tag_spec(
                cx,
                Node::InternetGateway,
                ResourceType::InternetGateway,
                &[],
            );
            let out = cx
                .aws
                .ec2
                .create_internet_gateway()
                .tag_specifications(spec)
                .send()
                .await
                .map_err(on("ec2", "CreateInternetGateway"))?;
            (
                out.internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .unwrap_or_default()
                    .to_string(),
                false,
            )
        }
    };
    if !attached {
        cx.aws
            .ec2
            .attach_internet_gateway()
            .internet_gateway_id(&id)
            .vpc_id(&vpc.vpc_id)
            .send()
            .await
            .map_err(on("ec2", "AttachInternetGateway"))?;
    }
    Ok(InternetGatewayState {
        internet_gateway_id: id,
        vpc_id: vpc.vpc_id.clone(),
    })
}

/// The gateway as it is now, or `None` when it is gone.
pub async fn read(
    cx: &Ctx<'_>,
    state: &InternetGatewayState,
) -> Result<Option<InternetGatewayState>, AwsError> {
    let by_id = Filter::builder()
        .name("internet-gateway-id")
        .values(&state.internet_gateway_id)
        .build();
    Ok(describe(cx, vec![by_id]).await?.as_ref().map(state_of))
}

/// Detaches and deletes the gateway; steps already done are skipped.
pub async fn delete(cx: &Ctx<'_>, state: &InternetGatewayState) -> Result<(), AwsError> {
    let detached = cx
        .aws
        .ec2
        .detach_internet_gateway()
        .internet_gateway_id(&state.internet_gateway_id)
        .vpc_id(&state.vpc_id)
        .send()
        .await
        .map_err(on("ec2", "DetachInternetGateway"));
    match detached {
        Err(e)
            if e.class != ErrorClass::NotFound
                && e.code.as_deref() != Some("Gateway.NotAttached") =>
        {
            return Err(e)
        }
        _ => {}
    }
    done_if_gone(
        cx.aws
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(&state.internet_gateway_id)
            .send()
            .await
            .map_err(on("ec2", "DeleteInternetGateway")),
    )
}
