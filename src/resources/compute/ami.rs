//! The AMI to launch: the one given, or the latest Amazon Linux 2023 from AWS's public SSM parameter
//! (the region's own, so the default never points at an image from elsewhere).

use crate::aws::error::on;
use crate::aws::AwsError;
use crate::resources::Ctx;

/// AWS's public parameter naming the latest Amazon Linux 2023 AMI for x86_64.
pub const LATEST_AL2023: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/// The AMI ID for the launch template.
pub async fn resolve(cx: &Ctx<'_>) -> Result<String, AwsError> {
    if let Some(ami) = &cx.args.ami {
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
        .ok_or_else(|| {
            AwsError::conflict(
                "ssm",
                "GetParameter",
                format!("{LATEST_AL2023} has no value in {}", cx.aws.region),
            )
        })
}
