//! The dependency-graph runner: a pure ready-queue ([`queue`]) and an async executor ([`run`]) that
//! starts nodes as soon as their inputs exist and drains on failure or cancel.

pub mod queue;
pub mod run;

pub use queue::{GraphError, Queue};
pub use run::{run, Outcome};
