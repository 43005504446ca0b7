//! Observability sub-resources: the application log group (the seed left logs on each instance).

pub mod log_group;
