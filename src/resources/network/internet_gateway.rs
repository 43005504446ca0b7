//! The internet gateway, attached to the fleet's VPC.

use aws_sdk_ec2::types::{Filter, ResourceType};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler};
use super::vpc::VpcState;
use super::{identity_filters, tag_spec};
use crate::aws::error::{done_if_gone, on, Error, ErrorClass};

/// The fleet's internet gateway, as a reconciler.
pub struct InternetGateway;

/// What the internet gateway is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The VPC it is attached to.
    pub vpc: VpcState,
}

/// What the fleet records about its internet gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternetGatewayState {
    /// The gateway's ID.
    pub internet_gateway_id: String,
    /// The VPC it is attached to.
    pub vpc_id: String,
}

async fn describe(
    cx: &Ctx<'_>,
    filters: Vec<Filter>,
) -> Result<Option<aws_sdk_ec2::types::InternetGateway>, Error> {
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

fn state_of(g: &aws_sdk_ec2::types::InternetGateway) -> InternetGatewayState {
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

impl Reconciler for InternetGateway {
    type Spec = Spec;
    type Record = InternetGatewayState;
    type Within = ();

    /// Creates (or adopts) the gateway and attaches it to the VPC if it is not attached yet.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<InternetGatewayState, Error> {
        let vpc = &spec.vpc;
        let found = describe(cx, identity_filters(cx)).await?;
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
                let tags = tag_spec(cx, ResourceType::InternetGateway, &[]);
                let out = cx
                    .aws
                    .ec2
                    .create_internet_gateway()
                    .tag_specifications(tags)
                    .send()
                    .await
                    .map_err(on("ec2", "CreateInternetGateway"))?;
                let id = out
                    .internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .ok_or_else(|| {
                        Error::missing("ec2", "CreateInternetGateway", "the internet gateway ID")
                    })?
                    .to_string();
                (id, false)
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
    async fn read(
        &self,
        cx: &Ctx<'_>,
        record: &InternetGatewayState,
    ) -> Result<Option<InternetGatewayState>, Error> {
        let by_id = Filter::builder()
            .name("internet-gateway-id")
            .values(&record.internet_gateway_id)
            .build();
        Ok(describe(cx, vec![by_id]).await?.as_ref().map(state_of))
    }

    /// Detaches and deletes the gateway; steps already done are skipped.
    async fn delete(&self, cx: &Ctx<'_>, record: &InternetGatewayState) -> Result<(), Error> {
        let detached = cx
            .aws
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(&record.internet_gateway_id)
            .vpc_id(&record.vpc_id)
            .send()
            .await
            .map_err(on("ec2", "DetachInternetGateway"));
        match detached {
            Err(e)
                if e.class() != ErrorClass::NotFound && e.code() != Some("Gateway.NotAttached") =>
            {
                return Err(e)
            }
            _ => {}
        }
        done_if_gone(
            cx.aws
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(&record.internet_gateway_id)
                .send()
                .await
                .map_err(on("ec2", "DeleteInternetGateway")),
        )
    }

    /// The fleet's own gateway, found by its identity tags.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<InternetGatewayState>, Error> {
        let found = describe(cx, identity_filters(cx)).await?;
        Ok(found.as_ref().map(state_of))
    }

    fn tag_targets(&self, r: &InternetGatewayState) -> Vec<Target> {
        vec![Target::Ec2(r.internet_gateway_id.clone())]
    }
}
