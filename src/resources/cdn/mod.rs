//! CDN sub-resources: the cache policy (the distribution lands next).

pub mod cache_policy;
