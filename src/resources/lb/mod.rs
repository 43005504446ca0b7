//! Load-balancing sub-resources: the load balancer, its listeners and the target group.

pub mod listeners;
pub mod load_balancer;
pub mod target_group;
