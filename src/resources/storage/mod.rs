//! Storage sub-resources: the asset, source and artifact buckets share one hardened bucket recipe.

pub mod bucket;
