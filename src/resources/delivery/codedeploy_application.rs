//! The CodeDeploy application (EC2/on-premises platform).

use aws_sdk_codedeploy::types::{ComputePlatform, Tag};
use serde::{Deserialize, Serialize};

use super::super::tagging::Target;
use super::super::{Ctx, Reconciler, TAG_FLEET};
use crate::aws::error::{done_if_gone, none_if_gone, on};
use crate::aws::Error;

/// The CodeDeploy application's reconciler.
pub struct CodeDeployApplication;

/// What the fleet records about its application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationState {
    /// The application's name.
    pub name: String,
}

/// Whether the existing application carries the fleet's tag.
async fn owned(cx: &Ctx<'_>, name: &str) -> Result<bool, Error> {
    let arn = super::codedeploy_arn(cx, &format!("application:{name}")).await?;
    let tags = cx
        .aws
        .codedeploy
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(on("codedeploy", "ListTagsForResource"))?;
    Ok(tags
        .tags()
        .iter()
        .any(|t| t.key() == Some(TAG_FLEET) && t.value() == Some(cx.prefix)))
}

/// The fleet's CodeDeploy application: `<prefix>-app` (the CodeDeploy role's trust names it too).
pub fn app_name(prefix: &str) -> String {
    format!("{prefix}-app")
}

impl Reconciler for CodeDeployApplication {
    /// The application has no settings of its own: its name comes from the fleet's prefix.
    type Spec = ();
    type Record = ApplicationState;
    type Within = ();

    /// Creates (or adopts) the application.
    async fn apply(&self, cx: &Ctx<'_>, _spec: &()) -> Result<ApplicationState, Error> {
        let name = app_name(cx.prefix);
        let tags: Vec<Tag> = cx
            .tags()
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let made = cx
            .aws
            .codedeploy
            .create_application()
            .application_name(&name)
            .compute_platform(ComputePlatform::Server)
            .set_tags(Some(tags))
            .send()
            .await;
        match made.map_err(on("codedeploy", "CreateApplication")) {
            Ok(_) => {}
            Err(e)
                if e.code() == Some("ApplicationAlreadyExistsException")
                    && owned(cx, &name).await? => {}
            Err(e) if e.code() == Some("ApplicationAlreadyExistsException") => {
                return Err(cx.name_taken("codedeploy", "a CodeDeploy application", &name))
            }
            Err(e) => return Err(e),
        }
        Ok(ApplicationState { name })
    }

    /// The application as it is now, or `None` when it is gone.
    async fn read(
        &self,
        cx: &Ctx<'_>,
        state: &ApplicationState,
    ) -> Result<Option<ApplicationState>, Error> {
        let got = cx
            .aws
            .codedeploy
            .get_application()
            .application_name(&state.name)
            .send()
            .await;
        let found = none_if_gone(got.map_err(on("codedeploy", "GetApplication")))?;
        Ok(found.map(|_| state.clone()))
    }

    /// Deletes the application; one already gone is done.
    async fn delete(&self, cx: &Ctx<'_>, state: &ApplicationState) -> Result<(), Error> {
        done_if_gone(
            cx.aws
                .codedeploy
                .delete_application()
                .application_name(&state.name)
                .send()
                .await
                .map_err(on("codedeploy", "DeleteApplication")),
        )
    }

    /// The fleet's application, when it exists and carries the fleet's tag.
    async fn discover(
        &self,
        cx: &Ctx<'_>,
        _within: &(),
    ) -> Result<Option<ApplicationState>, Error> {
        let state = ApplicationState {
            name: app_name(cx.prefix),
        };
        match self.read(cx, &state).await? {
            Some(found) if owned(cx, &found.name).await? => Ok(Some(found)),
            _ => Ok(None),
        }
    }

    fn tag_targets(&self, r: &ApplicationState) -> Vec<Target> {
        vec![Target::CodeDeploy(format!("application:{}", r.name))]
    }
}
