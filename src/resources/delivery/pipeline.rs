//! The release pipeline: a Source stage that takes the release archive from the source bucket and a
//! Deploy stage that hands it to the deployment group. EventBridge starts it on each upload (see
//! `event_rule.rs`), so the source action does not poll.

use aws_sdk_codepipeline::operation::get_pipeline::GetPipelineOutput;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineMetadata, PipelineType,
    StageDeclaration, Tag,
};
use aws_smithy_types::error::operation::BuildError;
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use super::deployment_group::DeploymentGroupState;
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;
use crate::resources::iam::role::{RoleState, Scope};
use crate::resources::storage::bucket::BucketState;

/// The stage (and its one action) that hands the artifact to CodeDeploy.
pub const DEPLOY_STAGE: &str = "Deploy";
/// The stage (and its one action) that takes the release archive from the source bucket.
pub const SOURCE_ACTION: &str = "Source";

/// The artifact the Source stage hands to the Deploy stage.
const ARTIFACT: &str = "SourceArtifact";

/// The release pipeline's reconciler.
pub struct Pipeline;

/// What the fleet records about its pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineState {
    /// The pipeline's name.
    pub name: String,
    /// The pipeline's ARN (what EventBridge starts).
    pub arn: String,
}

/// What the pipeline works with.
pub struct Spec {
    /// CodePipeline's service role.
    pub role: RoleState,
    /// The bucket the release archive is uploaded to.
    pub source: BucketState,
    /// The bucket the pipeline keeps its artifacts in.
    pub artifacts: BucketState,
    /// The deployment group the Deploy stage deploys to.
    pub group: DeploymentGroupState,
    /// The key of the release archive in the source bucket.
    pub source_key: String,
}

fn action_type(category: ActionCategory, provider: &str) -> Result<ActionTypeId, BuildError> {
    ActionTypeId::builder()
        .category(category)
        .owner(ActionOwner::Aws)
        .provider(provider)
        .version("1")
        .build()
}

fn source_stage(r: &Spec) -> Result<StageDeclaration, BuildError> {
    let action = ActionDeclaration::builder()
        .name(SOURCE_ACTION)
        .action_type_id(action_type(ActionCategory::Source, "S3")?)
        .run_order(1)
        .configuration("S3Bucket", &r.source.name)
        .configuration("S3ObjectKey", &r.source_key)
        // The EventBridge rule starts the pipeline; polling as well would start it twice.
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name(ARTIFACT).build()?)
        .build()?;
    StageDeclaration::builder()
        .name(SOURCE_ACTION)
        .actions(action)
        .build()
}

fn deploy_stage(r: &Spec) -> Result<StageDeclaration, BuildError> {
    let action = ActionDeclaration::builder()
        .name(DEPLOY_STAGE)
        .action_type_id(action_type(ActionCategory::Deploy, "CodeDeploy")?)
        .run_order(1)
        .configuration("ApplicationName", &r.group.application)
        .configuration("DeploymentGroupName", &r.group.name)
        .input_artifacts(InputArtifact::builder().name(ARTIFACT).build()?)
        .build()?;
    StageDeclaration::builder()
        .name(DEPLOY_STAGE)
        .actions(action)
        .build()
}

/// The whole pipeline as the fleet wants it; create and update send the same declaration.
fn declaration(r: &Spec, name: &str) -> Result<PipelineDeclaration, BuildError> {
    let store = ArtifactStore::builder()
        .r#type(ArtifactStoreType::S3)
        .location(&r.artifacts.name)
        .build()?;
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(&r.role.role_arn)
        .artifact_store(store)
        .pipeline_type(PipelineType::V2)
        .stages(source_stage(r)?)
        .stages(deploy_stage(r)?)
        .build()
}

/// The pipeline's ARN: from AWS's metadata when it gave one, else built from the account.
async fn arn_of(
    cx: &Ctx<'_>,
    name: &str,
    meta: Option<&PipelineMetadata>,
) -> Result<String, Error> {
    if let Some(arn) = meta.and_then(|m| m.pipeline_arn()) {
        return Ok(arn.to_string());
    }
    let account = cx.aws.account_id().await?;
    Ok(pipeline_arn(&Scope::of(cx, &account), name))
}

/// The ARN of the pipeline `name` in `at`: `arn:PARTITION:codepipeline:REGION:ACCOUNT:NAME` (the
/// pipeline role's trust names it before the pipeline exists).
pub fn pipeline_arn(at: &Scope<'_>, name: &str) -> String {
    at.arn("codepipeline", name)
}

async fn get(cx: &Ctx<'_>, name: &str) -> Result<Option<GetPipelineOutput>, Error> {
    let got = cx.aws.codepipeline.get_pipeline().name(name).send().await;
    none_if_gone(got.map_err(on("codepipeline", "GetPipeline")))
}

/// The ARN of the pipeline named `name`, or `None` when there is none.
async fn existing(cx: &Ctx<'_>, name: &str) -> Result<Option<String>, Error> {
    match get(cx, name).await? {
        Some(out) => Ok(Some(arn_of(cx, name, out.metadata()).await?)),
        None => Ok(None),
    }
}

/// The fleet's pipeline: `<prefix>-pipeline`.
pub fn pipeline_name(prefix: &str) -> String {
    format!("{prefix}-pipeline")
}

/// The key of the release archive the Source action takes; `None` when the pipeline is gone.
pub async fn source_key(cx: &Ctx<'_>, state: &PipelineState) -> Result<Option<String>, Error> {
    let Some(out) = get(cx, &state.name).await? else {
        return Ok(None);
    };
    Ok(out
        .pipeline()
        .into_iter()
        .flat_map(|p| p.stages())
        .flat_map(|s| s.actions())
        .filter(|a| a.action_type_id().map(|t| t.category()) == Some(&ActionCategory::Source))
        .find_map(|a| a.configuration()?.get("S3ObjectKey").cloned()))
}

/// Whether the pipeline at `arn` carries the fleet's tag.
async fn owned(cx: &Ctx<'_>, arn: &str) -> Result<bool, Error> {
    let out = cx
        .aws
        .codepipeline
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(on("codepipeline", "ListTagsForResource"))?;
    Ok(out
        .tags()
        .iter()
        .any(|t| t.key() == TAG_FLEET && t.value() == cx.prefix))
}

impl Reconciler for Pipeline {
    type Spec = Spec;
    type Record = PipelineState;
    type Within = ();

    /// Creates the pipeline, or updates the one this fleet made to the wanted declaration.
    async fn apply(&self, cx: &Ctx<'_>, spec: &Spec) -> Result<PipelineState, Error> {
        let name = pipeline_name(cx.prefix);
        let cp = &cx.aws.codepipeline;
        let wanted =
            declaration(spec, &name).map_err(Error::build("codepipeline", "CreatePipeline"))?;
        let arn = match existing(cx, &name).await? {
            Some(arn) if owned(cx, &arn).await? => {
                cp.update_pipeline()
                    .pipeline(wanted)
                    .send()
                    .await
                    .map_err(on("codepipeline", "UpdatePipeline"))?;
                arn
            }
            Some(_) => return Err(cx.name_taken("codepipeline", "a pipeline", &name)),
            None => {
                let tags = cx
                    .tags()
                    .into_iter()
                    .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                    .collect();
                cp.create_pipeline()
                    .pipeline(wanted)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(on("codepipeline", "CreatePipeline"))?;
                arn_of(cx, &name, None).await?
            }
        };
        Ok(PipelineState { name, arn })
    }

    /// The pipeline as it is now, or `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &PipelineState,
    ) -> Result<Option<PipelineState>, Error> {
        let found = get(cx, &state.name).await?;
        Ok(found.map(|out| PipelineState {
            name: state.name.clone(),
            arn: out
                .metadata()
                .and_then(|m| m.pipeline_arn())
                .unwrap_or(&state.arn)
                .to_string(),
        }))
    }

    /// Deletes the pipeline; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &PipelineState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .codepipeline
                .delete_pipeline()
                .name(&state.name)
                .send()
                .await
                .map_err(on("codepipeline", "DeletePipeline")),
        )
    }

    /// The fleet's pipeline, when it exists and carries the fleet's tag.
    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<PipelineState>, Error> {
        let name = pipeline_name(cx.prefix);
        match existing(cx, &name).await? {
            Some(arn) if owned(cx, &arn).await? => Ok(Some(PipelineState { name, arn })),
            _ => Ok(None),
        }
    }

    fn tag_targets(&self, r: &PipelineState) -> Vec<Target> {
        vec![Target::Pipeline(r.arn.clone())]
    }
}
