//! Delivery sub-resources: the CodeDeploy application and deployment group (the pipeline, trail and
//! EventBridge rule land next).

pub mod codedeploy_application;
pub mod deployment_group;
