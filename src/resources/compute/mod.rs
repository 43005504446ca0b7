//! Compute sub-resources: the launch template and its user data (the Auto Scaling group lands next).

pub mod launch_template;
pub mod user_data;
