//! Network sub-resources: VPC (and, as they land, subnets, internet gateway, route table).

pub mod vpc;
