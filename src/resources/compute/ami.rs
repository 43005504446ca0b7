//! The AMI to launch: the one given, or the latest Amazon Linux 2023 from AWS's public SSM parameter
//! (the region's own, so the default never points at an image from elsewhere). It is an input, not
//! an object of the fleet: nothing is made, read back or deleted.

use super::launch_template::{self, LaunchTemplateState};
use crate::aws::error::on;
use crate::aws::Error;
use crate::resources::{Ctx, Reconciler};

/// AWS's public parameter naming the latest Amazon Linux 2023 AMI for x86_64.
pub const LATEST_AL2023: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/// The AMI the launch template launches (see the module docs); its record is the AMI ID.
pub struct Ami;

/// Which AMI to launch.
pub struct Spec {
    /// The AMI given; without one, the region's latest Amazon Linux 2023.
    pub image: Option<String>,
}

impl Reconciler for Ami {
    type Spec = Spec;
    type Record = String;
    type Within = LaunchTemplateState;

    /// The AMI ID for the launch template: the given one, else looked up.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<String, Error> {
        if let Some(ami) = &spec.image {
            return Ok(ami.clone());
        }
        let out = cx
            .aws
            .ssm
            .get_parameter()
            .name(LATEST_AL2023)
            .send()
            .await
            .map_err(on("ssm", "GetParameter"))?;
        out.parameter()
            .and_then(|p| p.value())
            .map(str::to_string)
            .ok_or_else(|| Error::missing("ssm", "GetParameter", "the parameter's value"))
    }

    /// The AMI as recorded: an input, with nothing in AWS that could drift.
    async fn read(&self, _cx: &Ctx<'_>, record: &String) -> Result<Option<String>, Error> {
        Ok(Some(record.clone()))
    }

    /// Nothing to do: the image is not the fleet's.
    async fn delete(&self, _cx: &Ctx<'_>, _record: &String) -> Result<(), Error> {
        Ok(())
    }

    /// The image the fleet's launch template launches.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        template: &LaunchTemplateState,
    ) -> Result<Option<String>, Error> {
        let launched = launch_template::launches(cx, template).await?;
        Ok(launched.and_then(|d| d.image_id().map(str::to_string)))
    }
}
