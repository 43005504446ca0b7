//! Compute sub-resources: the AMI lookup, the launch template and its user data (the Auto Scaling
//! group lands next).

pub mod ami;
pub mod launch_template;
pub mod user_data;
