//! The pipeline's executions, as a release follows them: the one an upload started (its source
//! revision is the object version), a fresh one for a retry, and the CodeDeploy deployment its
//! Deploy action made (the action's external execution ID).

use aws_sdk_codepipeline::types::{
    ActionExecutionFilter, ActionExecutionStatus, PipelineExecutionStatus, SourceRevisionOverride,
    SourceRevisionType,
};

use super::super::Ctx;
use super::pipeline::{DEPLOY_STAGE, SOURCE_ACTION};
use crate::aws::error::on;
use crate::aws::Error;

/// How many of the newest executions are searched for an upload's (EventBridge starts one per
/// upload, so the upload's is among the first few; a page is one call).
const RECENT: i32 = 25;

/// An execution as a release sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The execution's ID.
    pub id: String,
    /// Its status: InProgress, Succeeded, Failed, Stopped, Stopping, Superseded, Cancelled.
    pub status: PipelineExecutionStatus,
}

/// Where an execution's Deploy action is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployAction {
    /// Not started yet (the Source action is still running).
    Waiting,
    /// Running or done, with the CodeDeploy deployment it made.
    Deployment(String),
    /// Failed before it made a deployment, with CodePipeline's summary.
    Failed(String),
}

/// The newest execution whose source revision is `version` of the source object, if any.
pub async fn started_by(
    cx: &Ctx<'_>,
    pipeline: &str,
    version: &str,
) -> Result<Option<Execution>, Error> {
    let out = cx
        .aws
        .codepipeline
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .max_results(RECENT)
        .send()
        .await
        .map_err(on("codepipeline", "ListPipelineExecutions"))?;
    Ok(out
        .pipeline_execution_summaries()
        .iter()
        .find(|e| {
            e.source_revisions()
                .iter()
                .any(|r| r.revision_id() == Some(version))
        })
        .and_then(|e| {
            Some(Execution {
                id: e.pipeline_execution_id()?.to_string(),
                status: e.status()?.clone(),
            })
        }))
}

/// Starts an execution of `version` of the source object (a source revision override, so a newer
/// upload by other means is not deployed in its place); its ID.
pub async fn start(cx: &Ctx<'_>, pipeline: &str, version: &str) -> Result<String, Error> {
    let pinned = SourceRevisionOverride::builder()
        .action_name(SOURCE_ACTION)
        .revision_type(SourceRevisionType::S3ObjectVersionId)
        .revision_value(version)
        .build()
        .map_err(Error::build("codepipeline", "StartPipelineExecution"))?;
    let out = cx
        .aws
        .codepipeline
        .start_pipeline_execution()
        .name(pipeline)
        .source_revisions(pinned)
        .send()
        .await
        .map_err(on("codepipeline", "StartPipelineExecution"))?;
    out.pipeline_execution_id
        .ok_or_else(|| Error::missing("codepipeline", "StartPipelineExecution", "the execution ID"))
}

/// Where the execution's Deploy action is; a failed Source action counts as the Deploy action's
/// failure (it never runs), with the Source action's summary.
pub async fn deploy_action(
    cx: &Ctx<'_>,
    pipeline: &str,
    execution: &str,
) -> Result<DeployAction, Error> {
    let filter = ActionExecutionFilter::builder()
        .pipeline_execution_id(execution)
        .build();
    let out = cx
        .aws
        .codepipeline
        .list_action_executions()
        .pipeline_name(pipeline)
        .filter(filter)
        .send()
        .await
        .map_err(on("codepipeline", "ListActionExecutions"))?;
    for action in out.action_execution_details() {
        let result = action.output().and_then(|o| o.execution_result());
        // AWS puts a failure's reason in errorDetails; the summary is the older, optional field.
        let summary = result
            .and_then(|r| r.error_details().and_then(|d| d.message()))
            .or_else(|| result.and_then(|r| r.external_execution_summary()))
            .unwrap_or("no summary")
            .to_string();
        let failed = action.status() == Some(&ActionExecutionStatus::Failed);
        match action.stage_name() {
            Some(DEPLOY_STAGE) => {
                if let Some(id) = result.and_then(|r| r.external_execution_id()) {
                    return Ok(DeployAction::Deployment(id.to_string()));
                }
                if failed {
                    return Ok(DeployAction::Failed(format!(
                        "the Deploy action failed: {summary}"
                    )));
                }
            }
            Some(stage) if failed => {
                return Ok(DeployAction::Failed(format!(
                    "the {stage} action failed: {summary}"
                )))
            }
            _ => {}
        }
    }
    Ok(DeployAction::Waiting)
}

/// The execution's status now.
pub async fn status(
    cx: &Ctx<'_>,
    pipeline: &str,
    execution: &str,
) -> Result<PipelineExecutionStatus, Error> {
    let out = cx
        .aws
        .codepipeline
        .get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(execution)
        .send()
        .await
        .map_err(on("codepipeline", "GetPipelineExecution"))?;
    out.pipeline_execution()
        .and_then(|e| e.status().cloned())
        .ok_or_else(|| Error::missing("codepipeline", "GetPipelineExecution", "the status"))
}

/// Whether an execution in `status` has ended without deploying what it took (a later one
/// superseded it, someone stopped it, or it failed).
pub fn ended_undeployed(status: &PipelineExecutionStatus) -> bool {
    matches!(
        status,
        PipelineExecutionStatus::Failed
            | PipelineExecutionStatus::Stopped
            | PipelineExecutionStatus::Superseded
            | PipelineExecutionStatus::Cancelled
    )
}

/// The deployment that took `version` of the source object, with its status, when the pipeline
/// still lists the execution that took it: how an import learns what a release came to.
pub async fn deployment_of_version(
    cx: &Ctx<'_>,
    pipeline: &str,
    version: &str,
) -> Result<Option<(String, String)>, Error> {
    let Some(run) = started_by(cx, pipeline, version).await? else {
        return Ok(None);
    };
    let DeployAction::Deployment(id) = deploy_action(cx, pipeline, &run.id).await? else {
        return Ok(None);
    };
    let course = super::deployment::course(cx, &id).await?;
    Ok(Some((id, course.status.as_str().to_string())))
}
