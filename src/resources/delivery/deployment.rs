//! A CodeDeploy deployment of a release, read as the user wants to hear of it: how far it is over
//! the instances, and when it fails, on which instance, in which lifecycle event, with the script's
//! output CodeDeploy's agent sent back.

use std::fmt::Write as _;

use aws_sdk_codedeploy::types::{
    DeploymentInfo, DeploymentStatus, LifecycleEventStatus, TargetFilterName,
};

use super::super::Ctx;
use crate::aws::error::on;
use crate::aws::Error;

/// BatchGetDeploymentTargets takes at most this many targets.
const TARGETS_PER_CALL: usize = 25;

/// Where a deployment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    /// CodeDeploy's status (Created, Queued, InProgress, Baking, Ready, Succeeded, Failed, Stopped).
    pub status: DeploymentStatus,
    /// Instances done (succeeded or skipped).
    pub done: i64,
    /// Instances in all.
    pub total: i64,
}

impl Course {
    /// Whether CodeDeploy is done with it, one way or the other.
    pub fn is_over(&self) -> bool {
        matches!(
            self.status,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    }
}

async fn info(cx: &Ctx<'_>, id: &str) -> Result<DeploymentInfo, Error> {
    let out = cx
        .aws
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(on("codedeploy", "GetDeployment"))?;
    out.deployment_info
        .ok_or_else(|| Error::missing("codedeploy", "GetDeployment", "the deployment's info"))
}

/// Where the deployment `id` is now.
pub async fn course(cx: &Ctx<'_>, id: &str) -> Result<Course, Error> {
    let info = info(cx, id).await?;
    let status = info
        .status
        .clone()
        .ok_or_else(|| Error::missing("codedeploy", "GetDeployment", "the status"))?;
    let o = info.deployment_overview();
    let count =
        |f: fn(&aws_sdk_codedeploy::types::DeploymentOverview) -> i64| o.map(f).unwrap_or(0);
    let done = count(|o| o.succeeded()) + count(|o| o.skipped());
    let total = done + count(|o| o.pending()) + count(|o| o.in_progress()) + count(|o| o.failed());
    Ok(Course {
        status,
        done,
        total,
    })
}

/// Why the deployment `id` failed: CodeDeploy's error, each failed instance's failed lifecycle
/// event with its script and output, and the rollback CodeDeploy started.
pub async fn why_failed(cx: &Ctx<'_>, id: &str) -> Result<String, Error> {
    let info = info(cx, id).await?;
    let mut out = format!("deployment {id} {}", status_word(info.status()));
    for line in failed_instances(cx, id).await? {
        let _ = write!(out, "\n  {line}");
    }
    if let Some(e) = info.error_information() {
        let code = e.code().map(|c| c.as_str()).unwrap_or("no code");
        let _ = write!(out, "\n  {code}: {}", e.message().unwrap_or_default());
    }
    match info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
    {
        Some(rollback) => {
            let _ = write!(out, "\n  CodeDeploy rolls the instances back to the previous release in deployment {rollback}");
        }
        None => out.push_str("\n  no rollback: CodeDeploy found no earlier successful release"),
    }
    Ok(out)
}

fn status_word(status: Option<&DeploymentStatus>) -> &'static str {
    match status {
        Some(DeploymentStatus::Stopped) => "was stopped",
        _ => "failed",
    }
}

/// One line per failed instance: its ID, the event that failed, and what the agent reported.
async fn failed_instances(cx: &Ctx<'_>, id: &str) -> Result<Vec<String>, Error> {
    let listed = cx
        .aws
        .codedeploy
        .list_deployment_targets()
        .deployment_id(id)
        .target_filters(TargetFilterName::TargetStatus, vec!["Failed".to_string()])
        .send()
        .await
        .map_err(on("codedeploy", "ListDeploymentTargets"))?;
    let ids = listed.target_ids();
    let mut lines = Vec::new();
    for chunk in ids.chunks(TARGETS_PER_CALL) {
        let got = cx
            .aws
            .codedeploy
            .batch_get_deployment_targets()
            .deployment_id(id)
            .set_target_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(on("codedeploy", "BatchGetDeploymentTargets"))?;
        lines.extend(
            got.deployment_targets()
                .iter()
                .filter_map(|t| t.instance_target())
                .map(|t| {
                    let instance = t.target_id().unwrap_or("an instance");
                    let event = t
                        .lifecycle_events()
                        .iter()
                        .find(|e| e.status() == Some(&LifecycleEventStatus::Failed));
                    match event {
                        Some(e) => event_line(instance, e),
                        None => format!("instance {instance} failed (no lifecycle event failed)"),
                    }
                }),
        );
    }
    Ok(lines)
}

fn event_line(instance: &str, e: &aws_sdk_codedeploy::types::LifecycleEvent) -> String {
    let name = e.lifecycle_event_name().unwrap_or("a lifecycle event");
    let mut line = format!("instance {instance}: lifecycle event {name} failed");
    if let Some(d) = e.diagnostics() {
        let code = d.error_code().map(|c| c.as_str()).unwrap_or("no code");
        let _ = write!(line, ": {code}: {}", d.message().unwrap_or_default());
        let tail = d.log_tail().unwrap_or_default().trim_end();
        if !tail.is_empty() {
            let _ = write!(
                line,
                "\n    script output:\n    {}",
                tail.replace('\n', "\n    ")
            );
        }
    }
    line
}
