//! Compute sub-resources: the AMI lookup, the launch template and its user data, the Auto Scaling
//! group and its scheduled actions.

pub mod ami;
pub mod auto_scaling_group;
pub mod instance_refresh;
pub mod instance_tags;
pub mod launch_template;
pub mod scheduled_actions;
pub mod user_data;
