//! Delivery sub-resources: the CodeDeploy application and deployment group, the pipeline that deploys
//! to them, and the trail and EventBridge rule that start the pipeline when a release is uploaded.

pub mod codedeploy_application;
pub mod deployment_group;
pub mod event_rule;
pub mod pipeline;
pub mod trail;

use super::Ctx;
use crate::aws::Error;

/// The ARN of a CodeDeploy object, from its resource part (`application:<name>`,
/// `deploymentgroup:<application>/<name>`): CodeDeploy's own calls take names, its tagging ARNs.
pub async fn codedeploy_arn(cx: &Ctx<'_>, what: &str) -> Result<String, Error> {
    let account = cx.aws.account_id().await?;
    Ok(format!(
        "arn:aws:codedeploy:{}:{account}:{what}",
        cx.aws.region
    ))
}
