//! Delivery sub-resources: the CodeDeploy application and deployment group, the pipeline that deploys
//! to them, and the trail and EventBridge rule that start the pipeline when a release is uploaded.

pub mod codedeploy_application;
pub mod deployment_group;
pub mod event_rule;
pub mod pipeline;
pub mod trail;
