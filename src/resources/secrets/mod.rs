//! Secrets for the app: the `environment` input as SecureString parameters in SSM Parameter Store.

pub mod environment;
