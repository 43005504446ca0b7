//! Following a release to the end, after its upload (see [`super::plan::AFTER_READY`]): the
//! pipeline execution that took the uploaded object version, the CodeDeploy deployment its Deploy
//! action made, and that deployment over the instances until CodeDeploy is done, with progress in
//! the engine's log. A failed deployment fails the update with what failed where; CodeDeploy's
//! automatic rollback (always on for the fleet's group) puts the previous release back.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aws_sdk_codedeploy::types::DeploymentStatus;

use super::apply::Incomplete;
use super::nodes::{Made, Node, Records};
use super::FleetCtx;
use crate::aws::Error;
use crate::resources::delivery::deployment::{self, Course};
use crate::resources::delivery::pipeline::PipelineState;
use crate::resources::delivery::pipeline_execution::{self as execution, DeployAction};
use crate::resources::delivery::release::ReleaseState;
use crate::resources::Ctx;

/// Longest pause between polls of an execution or a deployment (each lifecycle event on an
/// instance takes seconds to minutes).
const POLL: Duration = Duration::from_secs(10);

/// What a followed release came to.
struct Outcome {
    deployment_id: String,
    status: String,
    /// Why it did not deploy, when it did not.
    failure: Option<String>,
}

/// Why a release is followed this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Its version was just uploaded: the execution EventBridge starts is waited for.
    Uploaded,
    /// Its last deployment did not succeed: the pipeline runs it again.
    Retry,
    /// The app's environment changed: the pipeline runs it again, so the app restarts with it.
    Redeploy,
}

/// Follows the recorded release when it needs it: its version was just uploaded, its last
/// deployment did not succeed (a retry runs the pipeline again), or `environment_changed` (the
/// pipeline runs it again even with `waitForRelease` off, so the app loads the new environment).
/// With `waitForRelease` off nothing is waited for. The release's record gets the deployment's ID
/// and status, also when it failed.
pub async fn settle(
    fleet: &FleetCtx<'_>,
    mut records: Records,
    before: Option<ReleaseState>,
    environment_changed: bool,
) -> Result<Records, Incomplete> {
    let Some(mut release) = records.release.clone() else {
        return Ok(records);
    };
    let why = match before {
        Some(b) if b.version_id == release.version_id => {
            release.deployment_id = b.deployment_id;
            release.deployment_status = b.deployment_status;
            let succeeded = release.deployment_status == DeploymentStatus::Succeeded.as_str();
            match (environment_changed, succeeded) {
                (true, _) => Some(Why::Redeploy),
                (false, false) => Some(Why::Retry),
                (false, true) => None,
            }
        }
        _ => Some(Why::Uploaded),
    };
    let why = match why {
        Some(w) if fleet.args.wait_for_release => w,
        Some(Why::Redeploy) => {
            let started = Box::pin(redeploy_unwatched(fleet, &records, &release)).await;
            records.insert(Made::Release(release));
            return match started {
                Ok(_) => Ok(records),
                Err(e) => Err(Incomplete::at(records, Node::Release, e)),
            };
        }
        _ => {
            records.insert(Made::Release(release));
            return Ok(records);
        }
    };
    let outcome = Box::pin(follow(fleet, &records, &release, why)).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            records.insert(Made::Release(release));
            return Err(Incomplete::at(records, Node::Release, e));
        }
    };
    release.deployment_id = outcome.deployment_id;
    release.deployment_status = outcome.status;
    let label = label(&release);
    records.insert(Made::Release(release));
    match outcome.failure {
        None => Ok(records),
        Some(reason) => Err(Incomplete::at(
            records,
            Node::Release,
            Error::ReleaseFailed {
                release: label,
                reason,
            },
        )),
    }
}

/// Runs the pipeline again for the release without following it (`waitForRelease` off).
async fn redeploy_unwatched(
    fleet: &FleetCtx<'_>,
    records: &Records,
    release: &ReleaseState,
) -> Result<String, Error> {
    let pipeline: PipelineState = records.need(Node::Pipeline)?;
    let cx = fleet.cx(Node::Release);
    rerun(&cx, fleet, &pipeline.name, release, Why::Redeploy).await
}

/// `3f2a1b2c (S3 version X)`: how progress and errors name a release.
fn label(r: &ReleaseState) -> String {
    let short = r.sha256.get(..8).unwrap_or(&r.sha256);
    format!("{short} (S3 version {})", r.version_id)
}

async fn follow(
    fleet: &FleetCtx<'_>,
    records: &Records,
    release: &ReleaseState,
    why: Why,
) -> Result<Outcome, Error> {
    let pipeline: PipelineState = records.need(Node::Pipeline)?;
    let cx = fleet.cx(Node::Release);
    let name = label(release);
    let run = execution_for(&cx, fleet, &pipeline.name, release, why).await?;
    let deployment = match deployment_of(&cx, fleet, &pipeline.name, &run).await? {
        Ok(id) => id,
        Err(reason) => {
            return Ok(Outcome {
                deployment_id: String::new(),
                status: DeploymentStatus::Failed.as_str().to_string(),
                failure: Some(reason),
            })
        }
    };
    let course = watch(&cx, fleet, &deployment, &name).await?;
    let failure = match course.status {
        DeploymentStatus::Succeeded => None,
        _ => Some(deployment::why_failed(&cx, &deployment).await?),
    };
    Ok(Outcome {
        deployment_id: deployment,
        status: course.status.as_str().to_string(),
        failure,
    })
}

/// Starts a new execution of the release's version, saying why; its ID.
async fn rerun(
    cx: &Ctx<'_>,
    fleet: &FleetCtx<'_>,
    pipeline: &str,
    release: &ReleaseState,
    why: Why,
) -> Result<String, Error> {
    let because = match why {
        Why::Redeploy => "the app's environment changed",
        _ => "it did not deploy last time",
    };
    (fleet.waits.report)(format!(
        "release {}: {because}: running pipeline {pipeline} again",
        label(release)
    ));
    execution::start(cx, pipeline, &release.version_id).await
}

/// The execution deploying the release: the one the upload started (waited for: EventBridge starts
/// it once CloudTrail delivers the data event); on a retry one of its version still under way, else
/// a new one; on a redeploy a new one.
async fn execution_for(
    cx: &Ctx<'_>,
    fleet: &FleetCtx<'_>,
    pipeline: &str,
    release: &ReleaseState,
    why: Why,
) -> Result<String, Error> {
    let version = release.version_id.as_str();
    if why == Why::Redeploy {
        return rerun(cx, fleet, pipeline, release, why).await;
    }
    match execution::started_by(cx, pipeline, version).await? {
        Some(e) if why == Why::Uploaded || !execution::ended_undeployed(&e.status) => {
            return Ok(e.id)
        }
        _ if why == Why::Retry => return rerun(cx, fleet, pipeline, release, why).await,
        _ => {}
    }
    let what = format!(
        "pipeline {pipeline} to start for release {} (EventBridge starts it on the trail's data event)",
        label(release)
    );
    fleet
        .waits
        .until(&what, POLL, move || async move {
            Ok(execution::started_by(cx, pipeline, version)
                .await?
                .map(|e| e.id))
        })
        .await
}

/// The deployment the execution's Deploy action made, or why there is none.
async fn deployment_of(
    cx: &Ctx<'_>,
    fleet: &FleetCtx<'_>,
    pipeline: &str,
    run: &str,
) -> Result<Result<String, String>, Error> {
    let what = format!("pipeline execution {run} to reach its Deploy stage");
    fleet
        .waits
        .until(&what, POLL, move || async move {
            match execution::deploy_action(cx, pipeline, run).await? {
                DeployAction::Deployment(id) => Ok(Some(Ok(id))),
                DeployAction::Failed(why) => {
                    Ok(Some(Err(format!("pipeline execution {run}: {why}"))))
                }
                DeployAction::Waiting => {
                    let status = execution::status(cx, pipeline, run).await?;
                    Ok(execution::ended_undeployed(&status).then(|| {
                        Err(format!(
                            "pipeline execution {run} ended {} before its Deploy stage",
                            status.as_str()
                        ))
                    }))
                }
            }
        })
        .await
}

/// Polls the deployment until CodeDeploy is done, reporting each change in instances done.
async fn watch(cx: &Ctx<'_>, fleet: &FleetCtx<'_>, id: &str, name: &str) -> Result<Course, Error> {
    let last = &AtomicI64::new(-1);
    let report = &fleet.waits.report;
    fleet
        .waits
        .until(
            &format!("deployment {id} of release {name}"),
            POLL,
            move || async move {
                let c = deployment::course(cx, id).await?;
                if last.swap(c.done, Ordering::Relaxed) != c.done {
                    report(format!(
                        "deploying release {name}: {} of {} instances done",
                        c.done, c.total
                    ));
                }
                Ok(c.is_over().then_some(c))
            },
        )
        .await
}
