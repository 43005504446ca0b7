//! Rust types generated from our definitions of Pulumi's wire protocol (`proto/`).

/// Pulumi's `pulumirpc` package: the provider and engine services and their messages.
#[allow(missing_docs, clippy::all)]
pub mod pulumirpc {
    tonic::include_proto!("pulumirpc");
}

/// `google.rpc.Status`, the envelope for error details such as `ErrorResourceInitFailed`.
#[allow(missing_docs, clippy::all)]
pub mod google_rpc {
    tonic::include_proto!("google.rpc");
}
