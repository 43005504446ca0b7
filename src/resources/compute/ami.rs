//! The AMI to launch: the one given, or the latest Amazon Linux 2023 from AWS's public SSM parameter
//! (the region's own, so the default never points at an image from elsewhere). It is an input, not
//! an object of the fleet: nothing is made, read back or deleted.

use aws_sdk_ec2::types::{ArchitectureType, InstanceType};

use super::launch_template::{self, LaunchTemplateState};
use crate::aws::error::on;
use crate::aws::Error;
use crate::resources::{Ctx, Reconciler};

/// AWS's public parameter naming the latest Amazon Linux 2023 AMI for one architecture.
pub fn latest_al2023(arch: &str) -> String {
    format!("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}")
}

/// The architecture the default image is built for: arm64 for Graviton types (t4g, c7g, ...),
/// x86_64 otherwise, as EC2 describes the instance type.
async fn architecture(cx: &Ctx<'_>, instance_type: &str) -> Result<&'static str, Error> {
    let out = cx
        .aws
        .ec2
        .describe_instance_types()
        .instance_types(InstanceType::from(instance_type))
        .send()
        .await
        .map_err(on("ec2", "DescribeInstanceTypes"))?;
    let archs = out
        .instance_types()
        .first()
        .and_then(|t| t.processor_info())
        .map(|p| p.supported_architectures())
        .ok_or_else(|| {
            Error::missing(
                "ec2",
                "DescribeInstanceTypes",
                "the instance type's architectures",
            )
        })?;
    let has = |a: ArchitectureType| archs.contains(&a);
    if has(ArchitectureType::X8664) {
        Ok("x86_64")
    } else if has(ArchitectureType::Arm64) {
        Ok("arm64")
    } else {
        Err(Error::Failed {
            service: "ec2",
            operation: "DescribeInstanceTypes",
            reason: format!(
                "instance type {instance_type} runs neither x86_64 nor arm64, the architectures Amazon Linux 2023 is built for; give an ami for it"
            ),
        })
    }
}

/// The AMI the launch template launches (see the module docs); its record is the AMI ID.
pub struct Ami;

/// Which AMI to launch.
pub struct Spec {
    /// The AMI given; without one, the region's latest Amazon Linux 2023.
    pub image: Option<String>,
    /// The instance type it runs on (the default image is chosen for its architecture).
    pub instance_type: String,
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
            .name(latest_al2023(architecture(cx, &spec.instance_type).await?))
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
