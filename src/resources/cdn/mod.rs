//! CDN sub-resources: the cache policy and the CloudFront distribution in front of the load balancer.

pub mod cache_policy;
pub mod distribution;
