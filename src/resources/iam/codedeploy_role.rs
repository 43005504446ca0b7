//! The service role CodeDeploy assumes to work with the Auto Scaling group and the load balancer.

use super::role::{self, RoleState, Spec};
use crate::aws::AwsError;
use crate::fleet::plan::Node;
use crate::resources::Ctx;

/// The role is `<prefix>-codedeploy`.
pub const SUFFIX: &str = "codedeploy";

/// AWS's managed policy for CodeDeploy on EC2 and Auto Scaling.
pub const MANAGED_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole";

const SPEC: Spec<'static> = Spec {
    node: Node::CodeDeployRole,
    suffix: SUFFIX,
    service: "codedeploy.amazonaws.com",
    managed: &[MANAGED_POLICY],
    inline: None,
};

/// Creates (or adopts) the role.
pub async fn create(cx: &Ctx<'_>) -> Result<RoleState, AwsError> {
    role::ensure(cx, &SPEC).await
}

/// Deletes the role; one already gone is done.
pub async fn delete(cx: &Ctx<'_>, state: &RoleState) -> Result<(), AwsError> {
    role::delete(cx, state, SPEC.managed, None).await
}
