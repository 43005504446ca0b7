//! One file per AWS sub-resource of a fleet (`network/vpc.rs`, ...), each implementing [`Reconciler`]
//! once: create-or-adopt (which also brings an existing object to its spec), read, delete, discover
//! and the objects to re-tag. A reconciler knows nothing of the fleet's inputs: it gets a narrow
//! [`Reconciler::Spec`] the fleet builds, and the [`Ctx`] of the one sub-resource it works for.
//!
//! Every reconciler is idempotent: apply first looks for its own tagged (or deterministically named)
//! object and adopts it, so a lost response or a crash never makes a second one; delete treats "not
//! found" as done; read reports `None` when the object is gone.

pub mod cdn;
pub mod compute;
pub mod delivery;
pub mod dns;
pub mod iam;
pub mod lb;
pub mod network;
pub mod observability;
pub mod secrets;
pub mod storage;
pub mod tagging;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;

use futures::future::try_join_all;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::aws::{Clients, Error, Waits};
use crate::identity::Identity;
pub use crate::identity::{TAG_FLEET, TAG_NODE};
use tagging::Target;

/// What a sub-resource works with: the AWS clients, the request's waits, and whose object it is.
pub struct Ctx<'a> {
    /// The AWS clients.
    pub aws: &'a Clients,
    /// The request's deadline and progress reporting, for anything that waits on AWS.
    pub waits: &'a Waits,
    /// The fleet's name prefix (its identity).
    pub prefix: &'a str,
    /// The sub-resource's node name, as its objects' `ec2fleet:node` tag says.
    pub node: &'static str,
    /// The tags every object of the fleet carries besides its identity (see
    /// [`crate::identity::fleet_tags`]).
    pub fleet_tags: &'a BTreeMap<String, String>,
}

impl Ctx<'_> {
    /// Whose objects these are.
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            fleet: self.prefix,
            node: self.node,
        }
    }

    /// The tags for this sub-resource's objects (see [`Identity::tags`]).
    pub fn tags(&self) -> BTreeMap<String, String> {
        self.identity().tags(self.fleet_tags)
    }

    /// The error for a name the fleet needs that an object of another owner already has.
    pub fn name_taken(&self, service: &'static str, what: &'static str, name: &str) -> Error {
        Error::NameTaken {
            service,
            what,
            name: name.to_string(),
            fleet: self.prefix.to_string(),
        }
    }
}

/// One kind of AWS sub-resource: how to make it from its spec, read it back, delete it, find it by
/// its identity, and which of its objects carry the fleet's tags.
pub trait Reconciler: Sync {
    /// The narrow inputs: settings taken from the fleet's inputs, and the records of the objects it
    /// refers to.
    type Spec: Send + Sync;
    /// What the fleet records about the object (kept in the engine's state).
    type Record: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The record of the object this one lives inside and is found through (`()` when it stands
    /// alone): listeners inside their load balancer, scheduled actions inside their group.
    type Within: Send + Sync;

    /// Makes the object, or adopts the one this sub-resource made before, and brings it to `spec`.
    fn apply(
        &self,
        cx: &Ctx<'_>,
        spec: &Self::Spec,
    ) -> impl Future<Output = Result<Self::Record, Error>> + Send;

    /// The object as it is now, or `None` when it is gone.
    fn read(
        &self,
        cx: &Ctx<'_>,
        record: &Self::Record,
    ) -> impl Future<Output = Result<Option<Self::Record>, Error>> + Send;

    /// Several objects of this kind as they are now, in the order given. One call per object unless
    /// the service can answer for all of them at once.
    fn read_many(
        &self,
        cx: &Ctx<'_>,
        records: &[&Self::Record],
    ) -> impl Future<Output = Result<Vec<Option<Self::Record>>, Error>> + Send {
        try_join_all(records.iter().map(|r| self.read(cx, r)))
    }

    /// Deletes the object and everything only it holds; one already gone is done.
    fn delete(
        &self,
        cx: &Ctx<'_>,
        record: &Self::Record,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// This fleet's object, found by its identity alone (import); `None` when there is none, or
    /// when nothing in AWS can prove it is ours.
    fn discover(
        &self,
        cx: &Ctx<'_>,
        within: &Self::Within,
    ) -> impl Future<Output = Result<Option<Self::Record>, Error>> + Send;

    /// The objects that carry the fleet's tags and are re-tagged when they change; none by default
    /// (objects that take no tags, or that re-tag themselves on every apply).
    fn tag_targets(&self, _record: &Self::Record) -> Vec<Target> {
        Vec::new()
    }
}
