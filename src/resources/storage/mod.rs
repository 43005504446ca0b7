//! Storage sub-resources: the asset, source and artifact buckets share one hardened bucket recipe;
//! the asset objects are the `assets` input synced into the asset bucket.

pub mod assets;
pub mod bucket;
