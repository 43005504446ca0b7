//! Load-balancing sub-resources: the load balancer and the target group (listeners land next).

pub mod load_balancer;
pub mod target_group;
