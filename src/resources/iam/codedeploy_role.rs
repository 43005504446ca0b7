//! The service role CodeDeploy assumes to work with the Auto Scaling group and the load balancer.

use super::role::{self, RoleState, Shape};
use crate::aws::Error;
use crate::resources::tagging::Target;
use crate::resources::{Ctx, Reconciler};

/// The role is `<prefix>-codedeploy`.
pub const SUFFIX: &str = "codedeploy";

/// AWS's managed policy for CodeDeploy on EC2 and Auto Scaling.
pub const MANAGED_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole";

const SHAPE: Shape<'static> = Shape {
    suffix: SUFFIX,
    service: "codedeploy.amazonaws.com",
    managed: &[MANAGED_POLICY],
    inline: None,
};

/// The CodeDeploy service role. Its spec is `()`: it refers to nothing of the fleet's.
pub struct CodeDeployRole;

impl Reconciler for CodeDeployRole {
    type Spec = ();
    type Record = RoleState;
    type Within = ();

    async fn apply(&self, cx: &Ctx<'_>, _spec: &()) -> Result<RoleState, Error> {
        role::ensure(cx, &SHAPE).await
    }

    async fn read(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<Option<RoleState>, Error> {
        role::read(cx, record).await
    }

    async fn delete(&self, cx: &Ctx<'_>, record: &RoleState) -> Result<(), Error> {
        role::delete(cx, record, SHAPE.managed, None).await
    }

    async fn discover(&self, cx: &Ctx<'_>, _within: &()) -> Result<Option<RoleState>, Error> {
        role::discover(cx, SUFFIX).await
    }

    fn tag_targets(&self, r: &RoleState) -> Vec<Target> {
        vec![Target::Role(r.role_name.clone())]
    }
}
