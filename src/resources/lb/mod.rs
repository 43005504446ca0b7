//! Load-balancing sub-resources: the target group (the load balancer and listeners land next).

pub mod target_group;
