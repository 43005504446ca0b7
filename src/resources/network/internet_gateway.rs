//! The internet gateway, attached to the fleet's VPC.

use aws_sdk_ec2::types::{Filter, ResourceType};
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

/// Creates (or adopts) the gateway and attaches it to the VPC if it is not attached yet.
pub async fn create(cx: &Ctx<'_>, vpc: &VpcState) -> Result<InternetGatewayState, AwsError> {
    let found = cx
        .aws
        .ec2
        .describe_internet_gateways()
        .set_filters(Some(identity_filters(cx, Node::InternetGateway)))
        .send()
        .await
        .map_err(on("ec2", "DescribeInternetGateways"))?;
    let (id, attached) = match found.internet_gateways().first() {
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
    let out = cx
        .aws
        .ec2
        .describe_internet_gateways()
        .filters(by_id)
        .send()
        .await
        .map_err(on("ec2", "DescribeInternetGateways"))?;
    Ok(out
        .internet_gateways()
        .first()
        .map(|g| InternetGatewayState {
            internet_gateway_id: state.internet_gateway_id.clone(),
            vpc_id: g
                .attachments()
                .first()
                .and_then(|a| a.vpc_id())
                .unwrap_or_default()
                .to_string(),
        }))
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
