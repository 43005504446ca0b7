//! The service role CodeDeploy assumes to work with the Auto Scaling group and the load balancer.

use serde_json::json;

use super::instance_role;
use super::role::{Scope, ServiceRole};
use crate::resources::delivery::{codedeploy_application, codedeploy_arn_in, deployment_group};

/// The role is `<prefix>-codedeploy`.
pub const SUFFIX: &str = "codedeploy";

/// AWS's managed policy for CodeDeploy on EC2 and Auto Scaling (by name: its ARN is in the region's
/// partition).
pub const MANAGED_POLICY: &str = "service-role/AWSCodeDeployRole";

const INLINE_POLICY: &str = "launch-template";

/// The CodeDeploy service role. Its spec is `()`: what its policies refer to (the instances' role,
/// the deployment group) it names by the fleet's naming, not by records.
pub struct CodeDeployRole;

impl ServiceRole for CodeDeployRole {
    type Spec = ();
    const SUFFIX: &'static str = SUFFIX;
    const SERVICE: &'static str = "codedeploy.amazonaws.com";
    const MANAGED: &'static [&'static str] = &[MANAGED_POLICY];
    const INLINE: Option<&'static str> = Some(INLINE_POLICY);

    /// What AWSCodeDeployRole lacks for a group launched from a launch template: launching and
    /// tagging instances, and passing them the instances' role (that role only, to EC2 only).
    /// <https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html>
    fn policy(_spec: &(), at: &Scope<'_>) -> serde_json::Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": at.role_arn(instance_role::SUFFIX),
                 "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
            ]
        })
    }

    /// CodeDeploy assumes it for this account's deployment group of the fleet only: the source
    /// ARN is the group's, `deploymentgroup:APPLICATION/GROUP`, both names known before either
    /// exists (AWS's example fixes the application and leaves the group a wildcard).
    /// <https://docs.aws.amazon.com/codedeploy/latest/userguide/security_confused_deputy.html>
    fn trust_conditions(at: &Scope<'_>) -> Option<serde_json::Value> {
        let group = deployment_group::group_name(at.prefix);
        let app = codedeploy_application::app_name(at.prefix);
        Some(json!({
            "StringEquals": {"aws:SourceAccount": at.account},
            "ArnEquals": {"aws:SourceArn": codedeploy_arn_in(at, &format!("deploymentgroup:{app}/{group}"))}
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::iam::role::{managed_arn, trust_policy};

    const CN: Scope<'static> = Scope {
        partition: "aws-cn",
        region: "cn-north-1",
        account: "123456789012",
        prefix: "web",
    };

    #[test]
    fn the_launch_template_permissions_pass_only_the_instances_role_and_only_to_ec2() {
        let doc = CodeDeployRole::policy(&(), &CN);
        assert_eq!(
            doc["Statement"],
            json!([
                {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole",
                 "Resource": "arn:aws-cn:iam::123456789012:role/ec2fleet/web-instance",
                 "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
            ])
        );
    }

    #[test]
    fn codedeploy_may_assume_it_only_for_this_accounts_deployment_group() {
        assert_eq!(
            trust_policy(
                CodeDeployRole::SERVICE,
                CodeDeployRole::trust_conditions(&CN)
            )["Statement"][0],
            json!({
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnEquals": {"aws:SourceArn": "arn:aws-cn:codedeploy:cn-north-1:123456789012:deploymentgroup:web-app/web-dg"}
                }
            })
        );
    }

    #[test]
    fn the_managed_policy_is_in_the_regions_partition() {
        assert_eq!(
            managed_arn(CN.partition, MANAGED_POLICY),
            "arn:aws-cn:iam::aws:policy/service-role/AWSCodeDeployRole"
        );
        assert_eq!(
            managed_arn("aws", MANAGED_POLICY),
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
        );
    }
}
