//! Panics are bugs, but a bug in one request must not take others down with it: the graph runner
//! turns a node's panic into that node's failure, and the gRPC layer turns a handler's panic into
//! an `Internal` status instead of a reset stream.

use std::any::Any;

/// A panic caught where it happened, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked(pub String);

impl Panicked {
    /// The panic's message from its payload (`panic!` gives a `&str` or a `String`).
    pub fn from_payload(payload: &(dyn Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Self(message)
    }
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ec2fleet bug (please report it): {}", self.0)
    }
}
