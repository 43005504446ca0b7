//! Delivery sub-resources: the CodeDeploy application and deployment group, the pipeline that deploys
//! to them, the trail and EventBridge rule that start the pipeline when a release is uploaded, and
//! the release object itself.

pub mod codedeploy_application;
pub mod deployment;
pub mod deployment_group;
pub mod event_rule;
pub mod pipeline;
pub mod pipeline_execution;
pub mod release;
pub mod trail;

use super::Ctx;
use crate::aws::Error;
use crate::resources::iam::role::Scope;

/// The ARN of a CodeDeploy object, from its resource part (`application:<name>`,
/// `deploymentgroup:<application>/<name>`): CodeDeploy's own calls take names, its tagging ARNs.
pub async fn codedeploy_arn(cx: &Ctx<'_>, what: &str) -> Result<String, Error> {
    let account = cx.aws.account_id().await?;
    Ok(codedeploy_arn_in(&Scope::of(cx, &account), what))
}

/// The ARN of the CodeDeploy object `what` in `at`:
/// `arn:PARTITION:codedeploy:REGION:ACCOUNT:WHAT` (`application:<name>`,
/// `deploymentgroup:<application>/<name>`, `deploymentconfig:<name>`).
pub fn codedeploy_arn_in(at: &Scope<'_>, what: &str) -> String {
    at.arn("codedeploy", what)
}
