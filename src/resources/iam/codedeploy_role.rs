//! The service role CodeDeploy assumes to work with the Auto Scaling group and the load balancer.

use super::role::ServiceRole;

/// The role is `<prefix>-codedeploy`.
pub const SUFFIX: &str = "codedeploy";

/// AWS's managed policy for CodeDeploy on EC2 and Auto Scaling.
pub const MANAGED_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole";

/// The CodeDeploy service role. Its spec is `()`: it refers to nothing of the fleet's.
pub struct CodeDeployRole;

impl ServiceRole for CodeDeployRole {
    type Spec = ();
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "codedeploy.amazonaws.com";
    const MANAGED: &'static [&'static str] = &[MANAGED_POLICY];
    const INLINE: Option<&'static str> = None;

    fn policy(_spec: &()) -> serde_json::Value {
        serde_json::Value::Null
    }
}
