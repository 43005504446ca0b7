//! ec2fleet: a Pulumi resource provider whose one resource, `ec2fleet:index:Ec2Fleet`, stands up a
//! complete, load-balanced, continuously deployable EC2 fleet through the AWS SDKs.
//!
//! Layers: [`server`] speaks Pulumi's gRPC protocol and converts property values; [`fleet`] owns the
//! resource's typed inputs, outputs and checks; [`graph`] runs sub-resources in dependency order;
//! [`aws`] holds the SDK clients and error classification;
//! [`schema`] generates the package schema from the typed structs.

pub mod aws;
pub mod cidr;
pub mod config;
pub mod fleet;
pub mod graph;
pub mod identity;
pub mod panic;
pub mod proto;
pub mod release;
pub mod resources;
pub mod schema;
pub mod server;
