//! Create, Read, Update, Delete and Diff of a fleet: decode the request, run the fleet logic with the
//! configured clients, a deadline and progress on the engine's log, encode the answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tonic::Status;

use super::engine_log::Line;
use super::errors::{self, status};
use super::lifecycle::{self, args_of, inputs_of, records_of, secret_of};
use super::props::{encode_struct, PropertyMap};
use super::{typed, Provider};
use crate::aws::wait::human;
use crate::aws::{Clients, Waits};
use crate::fleet::converge::{converge, How};
use crate::fleet::destroy::destroy;
use crate::fleet::diff::{self, Recorded};
use crate::fleet::discover;
use crate::fleet::refresh::refresh;
use crate::fleet::{self, naming, FleetArgs, FleetCtx, Node, Records};
use crate::identity::fleet_tags;
use crate::proto::pulumirpc as rpc;

/// How long a create, update or delete may take when the program sets no customTimeouts: a new
/// distribution alone can take 15 minutes to deploy.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(45 * 60);

/// What one operation runs with.
struct Op {
    aws: Clients,
    default_tags: BTreeMap<String, String>,
    waits: Waits,
    lines: mpsc::UnboundedSender<Line>,
    started: tokio::time::Instant,
}

impl Op {
    fn fleet<'a>(
        &'a self,
        args: &'a FleetArgs,
        prefix: &'a str,
        secret: Option<&'a str>,
    ) -> FleetCtx<'a> {
        FleetCtx::new(
            &self.aws,
            &self.waits,
            args,
            prefix,
            &self.default_tags,
            secret,
        )
    }

    /// Progress per finished node, as a transient status line.
    fn progress(&self, verb: &'static str) -> impl Fn(Node, usize, usize) + Send + Sync {
        let (lines, started) = (self.lines.clone(), self.started);
        move |node, n, total| {
            let line = format!("{verb} {node} ({n}/{total}, {})", human(started.elapsed()));
            let _ = lines.send(Line::Status(line));
        }
    }

    /// The tags the fleet's objects carry besides their identity, under this configuration.
    fn fleet_tags(&self, args: &FleetArgs) -> BTreeMap<String, String> {
        fleet_tags(&self.default_tags, &args.tags)
    }

    /// A line kept in the operation's output.
    fn say(&self, line: String) {
        let _ = self.lines.send(Line::Info(line));
    }

    /// Returns once every line sent so far has reached the engine, so none trails the response.
    async fn flush(&self) {
        let (ack, acked) = oneshot::channel();
        if self.lines.send(Line::Flush(ack)).is_ok() {
            let _ = acked.await;
        }
    }
}

fn timeout(seconds: f64) -> Duration {
    if seconds > 0.0 {
        Duration::from_secs_f64(seconds)
    } else {
        DEFAULT_TIMEOUT
    }
}

fn prefix_of(args: &FleetArgs) -> Result<String, Status> {
    args.name_prefix.clone().ok_or_else(|| {
        Status::invalid_argument(
            "namePrefix is not set: Check fills it, so this request skipped Check",
        )
    })
}

/// What an unfinished run leaves in the state so the next one finishes it: the inputs an update
/// started from, and the tags the objects carried before it.
struct Before<'a> {
    inputs: Option<&'a PropertyMap>,
    tags: &'a BTreeMap<String, String>,
    /// The inputs the fleet had, on an update.
    args: Option<&'a FleetArgs>,
}

/// Asks AWS, read-only, what Check cannot know; every problem found stops the operation before
/// anything is made or changed.
async fn preflight(op: &Op, args: &FleetArgs, prefix: &str) -> Result<(), Status> {
    let problems = fleet::preflight::check(&op.aws, args)
        .await
        .map_err(|e| status(&e, format!("checking fleet {prefix}'s inputs with AWS")))?;
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("  {}: {}", p.property, p.reason))
        .collect();
    Err(Status::failed_precondition(format!(
        "fleet {prefix}: AWS does not have what {} input(s) name, so nothing was made or changed:\n{}",
        problems.len(),
        lines.join("\n")
    )))
}

impl Provider {
    /// The configured defaultTags (none before Configure).
    async fn default_tags(&self) -> BTreeMap<String, String> {
        let guard = self.configured.read().await;
        guard
            .as_ref()
            .map(|c| c.default_tags.clone())
            .unwrap_or_default()
    }

    async fn op(&self, urn: &str, seconds: f64) -> Result<Op, Status> {
        let guard = self.configured.read().await;
        let c = guard.as_ref().ok_or_else(|| {
            Status::failed_precondition("the provider is not configured: Configure must come first")
        })?;
        let lines = self.log.ordered(urn);
        let waits = lines.clone();
        let report = Arc::new(move |line: String| {
            let _ = waits.send(Line::Info(line));
        });
        Ok(Op {
            aws: c.clients.clone(),
            default_tags: c.default_tags.clone(),
            waits: Waits::new(timeout(seconds), report),
            lines,
            started: tokio::time::Instant::now(),
        })
    }

    /// Makes what `args` needs that `have` lacks, waits until the fleet serves, and removes what the
    /// inputs no longer want. Returns the records, or the error carrying the state for the engine.
    async fn converge_fleet(
        &self,
        op: &Op,
        inputs: &PropertyMap,
        args: &FleetArgs,
        have: Records,
        (how, before): (How, Before<'_>),
        secret: Option<&str>,
    ) -> Result<Records, Status> {
        let prefix = prefix_of(args)?;
        preflight(op, args, &prefix).await?;
        let mut fleet = op.fleet(args, &prefix, secret);
        if let Some(old) = before.args {
            fleet = fleet.updating_from(old);
        }
        let (made, removed) = (op.progress("ready:"), op.progress("removed:"));
        let cancel = self.cancel.subscribe();
        // Boxed: the whole run's future is large, and a debug build polls it on a worker's stack.
        let result = Box::pin(converge(&fleet, have, how, cancel, (&made, &removed))).await;
        if let Ok(records) = &result {
            let line = format!(
                "fleet {prefix} is serving: {} sub-resources in {:.1}s",
                records.all().len(),
                op.started.elapsed().as_secs_f64()
            );
            op.say(line);
        }
        op.flush().await;
        result.map_err(|inc| {
            let mut state = lifecycle::state(inputs, args, &prefix, &inc.records, secret);
            if let Some(from) = before.inputs {
                lifecycle::mark_pending(&mut state, from);
            }
            lifecycle::set_tags_all(&mut state, before.tags);
            if inc.records.is_empty() {
                Status::new(errors::stopped(&inc), lifecycle::reasons(&inc).join("\n"))
            } else {
                lifecycle::init_failed(&prefix, &state, inputs, lifecycle::reasons(&inc))
            }
        })
    }

    pub(super) async fn create_fleet(
        &self,
        req: rpc::CreateRequest,
    ) -> Result<rpc::CreateResponse, Status> {
        let inputs = super::props::decode_struct(req.properties.as_ref());
        let args = args_of(&inputs)?;
        let prefix = prefix_of(&args)?;
        let op = self.op(&req.urn, req.timeout).await?;
        let secret = fleet::origin_secret(args.cdn.enabled, None)
            .map_err(|e| status(&e, format!("creating fleet {prefix}")))?;
        let tags = op.fleet_tags(&args);
        let before = Before {
            inputs: None,
            tags: &tags,
            args: None,
        };
        let records = self
            .converge_fleet(
                &op,
                &inputs,
                &args,
                Records::default(),
                (How::default(), before),
                secret.as_deref(),
            )
            .await?;
        let mut state = lifecycle::state(&inputs, &args, &prefix, &records, secret.as_deref());
        lifecycle::set_tags_all(&mut state, &tags);
        Ok(rpc::CreateResponse {
            id: prefix,
            properties: Some(encode_struct(&state)),
            refresh_before_update: false,
        })
    }

    pub(super) async fn update_fleet(
        &self,
        req: rpc::UpdateRequest,
    ) -> Result<rpc::UpdateResponse, Status> {
        let olds = super::props::decode_struct(req.olds.as_ref());
        let news = super::props::decode_struct(req.news.as_ref());
        let old_inputs = match (lifecycle::pending_from(&olds), &req.old_inputs) {
            (Some(from), _) => from,
            (None, Some(s)) => super::props::decode_struct(Some(s)),
            (None, None) => inputs_of(&olds),
        };
        let args = args_of(&news)?;
        let prefix = prefix_of(&args)?;
        let records = records_of(&olds)?;
        let secret = fleet::origin_secret(args.cdn.enabled, secret_of(&olds))
            .map_err(|e| status(&e, format!("updating fleet {prefix}")))?;
        if req.preview {
            let mut state = lifecycle::state(&news, &args, &prefix, &records, secret.as_deref());
            let tags = fleet_tags(&self.default_tags().await, &args.tags);
            lifecycle::set_tags_all(&mut state, &tags);
            return Ok(rpc::UpdateResponse {
                properties: Some(encode_struct(&state)),
                refresh_before_update: false,
            });
        }
        let op = self.op(&req.urn, req.timeout).await?;
        let old_args = args_of(&old_inputs)?;
        let old_tags = lifecycle::tags_all_of(&olds).unwrap_or_else(|| op.fleet_tags(&old_args));
        let tags = op.fleet_tags(&args);
        let how = diff::update(
            (&typed::to_json(&old_inputs), &old_args),
            (&typed::to_json(&news), &args),
            &old_tags,
            &tags,
        );
        let before = Before {
            inputs: (!how.resume).then_some(&old_inputs),
            tags: &old_tags,
            args: Some(&old_args),
        };
        let records = self
            .converge_fleet(&op, &news, &args, records, (how, before), secret.as_deref())
            .await?;
        let mut state = lifecycle::state(&news, &args, &prefix, &records, secret.as_deref());
        lifecycle::set_tags_all(&mut state, &tags);
        Ok(rpc::UpdateResponse {
            properties: Some(encode_struct(&state)),
            refresh_before_update: false,
        })
    }

    pub(super) async fn delete_fleet(&self, req: rpc::DeleteRequest) -> Result<(), Status> {
        let olds = super::props::decode_struct(req.properties.as_ref());
        let inputs = match &req.old_inputs {
            Some(s) => super::props::decode_struct(Some(s)),
            None => inputs_of(&olds),
        };
        let args = args_of(&inputs)?;
        let prefix = prefix_of(&args)?;
        let records = records_of(&olds)?;
        let op = self.op(&req.urn, req.timeout).await?;
        let fleet = op.fleet(&args, &prefix, None);
        let progress = op.progress("deleted:");
        let count = records.all().len();
        destroy(&fleet, &records, self.cancel.subscribe(), &progress)
            .await
            .map_err(|inc| {
                // The engine keeps the old state on a failed delete; the reasons say what is left.
                let left: Vec<String> = inc.records.all().keys().map(|n| n.to_string()).collect();
                let mut reasons = lifecycle::reasons(&inc);
                reasons.push(format!("still in AWS: {}", left.join(", ")));
                Status::new(
                    errors::stopped(&inc),
                    format!(
                        "the fleet {prefix} is not fully deleted; run `pulumi destroy` again:\n  {}",
                        reasons.join("\n  ")
                    ),
                )
            })?;
        let line = format!(
            "fleet {prefix} is gone: {count} sub-resources deleted in {:.1}s",
            op.started.elapsed().as_secs_f64()
        );
        op.say(line);
        op.flush().await;
        Ok(())
    }

    pub(super) async fn read_fleet(
        &self,
        req: rpc::ReadRequest,
    ) -> Result<rpc::ReadResponse, Status> {
        let olds = super::props::decode_struct(req.properties.as_ref());
        let mut inputs = match &req.inputs {
            Some(s) if !s.fields.is_empty() => super::props::decode_struct(Some(s)),
            _ => inputs_of(&olds),
        };
        let records = records_of(&olds)?;
        if records.is_empty() {
            return self.import_fleet(req).await;
        }
        let args = args_of(&inputs)?;
        let prefix = prefix_of(&args)?;
        let op = self.op(&req.urn, req.timeout).await?;
        let fleet = op.fleet(&args, &prefix, None);
        let live = refresh(&fleet, &records)
            .await
            .map_err(|e| status(&e, format!("refreshing fleet {prefix}")))?;
        if live.is_gone() {
            return Ok(rpc::ReadResponse::default());
        }
        let mut drifted = args.clone();
        live.drift(&mut drifted);
        inputs = lifecycle::with_secret_inputs(lifecycle::with_inputs(&inputs, &drifted));
        let secret = secret_of(&olds);
        let mut state =
            lifecycle::state(&inputs, &drifted, &prefix, &live.records, secret.as_deref());
        if let Some(from) = lifecycle::pending_from(&olds) {
            lifecycle::mark_pending(&mut state, &from);
        }
        if let Some(tags) = lifecycle::tags_all_of(&olds) {
            lifecycle::set_tags_all(&mut state, &tags);
        }
        Ok(rpc::ReadResponse {
            id: req.id,
            properties: Some(encode_struct(&state)),
            inputs: Some(encode_struct(&inputs)),
            refresh_before_update: false,
        })
    }

    /// Read with an ID alone (`pulumi import`): finds the fleet's objects by its name prefix and
    /// answers with their records and the inputs they were made with. Nothing found: not found.
    async fn import_fleet(&self, req: rpc::ReadRequest) -> Result<rpc::ReadResponse, Status> {
        let prefix = req.id.clone();
        if let Some(problem) = naming::prefix_problem(&prefix) {
            return Err(Status::invalid_argument(format!(
                "cannot import fleet {prefix:?}: the ID is the fleet's namePrefix, and {problem}"
            )));
        }
        let op = self.op(&req.urn, req.timeout).await?;
        let imported = discover::import(&op.aws, &op.waits, &prefix, &op.default_tags)
            .await
            .map_err(|e| status(&e, format!("importing fleet {prefix}")))?;
        let Some(discover::Imported {
            records,
            args: found,
            origin_secret: secret,
        }) = imported
        else {
            return Ok(rpc::ReadResponse::default());
        };
        op.say(format!(
            "fleet {prefix}: found {} sub-resources",
            records.all().len()
        ));
        op.flush().await;
        let inputs = typed::map_from_json(&serde_json::to_value(&found).unwrap_or_default());
        let inputs = lifecycle::with_secret_inputs(inputs);
        let mut state = lifecycle::state(&inputs, &found, &prefix, &records, secret.as_deref());
        lifecycle::set_tags_all(&mut state, &op.fleet_tags(&found));
        Ok(rpc::ReadResponse {
            id: prefix,
            properties: Some(encode_struct(&state)),
            inputs: Some(encode_struct(&inputs)),
            refresh_before_update: false,
        })
    }

    pub(super) async fn diff_fleet(
        &self,
        req: rpc::DiffRequest,
    ) -> Result<rpc::DiffResponse, Status> {
        let olds = super::props::decode_struct(req.olds.as_ref());
        let old_inputs = match &req.old_inputs {
            Some(s) => super::props::decode_struct(Some(s)),
            None => inputs_of(&olds),
        };
        let news = super::props::decode_struct(req.news.as_ref());
        let records = records_of(&olds).ok();
        let tags_all = lifecycle::tags_all_of(&olds);
        let state = Recorded {
            records: records.as_ref(),
            pending: lifecycle::pending_from(&olds).is_some(),
            tags_all: tags_all.as_ref(),
        };
        let new_args = args_of(&news).ok();
        let defaults = self.default_tags().await;
        let new_tags = new_args.as_ref().map(|a| fleet_tags(&defaults, &a.tags));
        let changes = diff::diff(
            &typed::to_json(&old_inputs),
            &typed::to_json(&news),
            &req.ignore_changes,
            &state,
            new_args.as_ref().zip(new_tags.as_ref()),
        );
        Ok(lifecycle::diff_response(changes))
    }
}
