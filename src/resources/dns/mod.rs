//! DNS sub-resources: the Route 53 alias records that give the fleet its own name.

pub mod record;
