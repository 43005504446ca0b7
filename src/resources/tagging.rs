//! Re-tagging objects that already exist, for an update that changes the fleet's `tags` (creation
//! tags each object as it is made). Every service tags its own way; this is the one place that knows
//! them all. S3 buckets are not here: their create puts the whole tag set on every update.

use std::collections::BTreeMap;

use super::Ctx;
use crate::aws::error::on;
use crate::aws::Error;

/// One taggable object, by the identifier its service's tagging API takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An EC2 resource ID (VPC, subnet, gateway, route table, security group, launch template).
    Ec2(String),
    /// A load balancer or target group ARN.
    Elb(String),
    /// An Auto Scaling group name.
    AutoScalingGroup(String),
    /// An IAM role name.
    Role(String),
    /// An IAM instance profile name.
    InstanceProfile(String),
    /// A log group ARN (without the `:*` suffix).
    LogGroup(String),
    /// A CloudTrail trail ARN.
    Trail(String),
    /// A CodeDeploy application or deployment group: its ARN's resource part
    /// (`application:<name>`, `deploymentgroup:<application>/<name>`).
    CodeDeploy(String),
    /// A CodePipeline pipeline ARN.
    Pipeline(String),
    /// An EventBridge rule ARN.
    EventRule(String),
    /// A CloudFront distribution ARN.
    Distribution(String),
    /// An SSM parameter name.
    Parameter(String),
}

/// Puts `set` on the object and takes the `remove` keys off it.
pub async fn retag(
    cx: &Ctx<'_>,
    target: &Target,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use Target::*;
    match target {
        Ec2(id) => ec2(cx, std::slice::from_ref(id), set, remove).await,
        Elb(arn) => elb(cx, arn, set, remove).await,
        AutoScalingGroup(name) => auto_scaling_group(cx, name, set, remove).await,
        Role(name) => role(cx, name, set, remove).await,
        InstanceProfile(name) => instance_profile(cx, name, set, remove).await,
        LogGroup(arn) => log_group(cx, arn, set, remove).await,
        Trail(arn) => trail(cx, arn, set, remove).await,
        CodeDeploy(what) => codedeploy(cx, what, set, remove).await,
        Pipeline(arn) => pipeline(cx, arn, set, remove).await,
        EventRule(arn) => event_rule(cx, arn, set, remove).await,
        Distribution(arn) => distribution(cx, arn, set, remove).await,
        Parameter(name) => parameter(cx, name, set, remove).await,
    }
}

/// An SDK tag type from key and value, whether its builder is fallible or not.
macro_rules! tag {
    ($ty:ty, $k:expr, $v:expr) => {
        <$ty>::builder().key($k).value($v).build()
    };
}

/// The set as a list of one SDK's tags.
macro_rules! tags {
    ($ty:ty, $set:expr, $svc:literal, $op:literal) => {
        $set.iter()
            .map(|(k, v)| tag!($ty, k, v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::build($svc, $op))?
    };
}

/// TagResource and UntagResource by `resource_arn`: the shape CloudWatch Logs, CodeDeploy,
/// CodePipeline and EventBridge share.
macro_rules! by_resource_arn {
    ($cx:expr, $client:ident, $svc:literal, $arn:expr, $tags:expr, $remove:expr) => {{
        let c = &$cx.aws.$client;
        c.tag_resource()
            .resource_arn($arn)
            .set_tags(Some($tags))
            .send()
            .await
            .map_err(on($svc, "TagResource"))?;
        if !$remove.is_empty() {
            c.untag_resource()
                .resource_arn($arn)
                .set_tag_keys(Some($remove.to_vec()))
                .send()
                .await
                .map_err(on($svc, "UntagResource"))?;
        }
        Ok(())
    }};
}

/// Puts `set` on EC2 resources and takes the `remove` keys off them, all in one call each.
pub async fn ec2(
    cx: &Ctx<'_>,
    ids: &[String],
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_ec2::types::Tag;
    let tags = set.iter().map(|(k, v)| tag!(Tag, k, v)).collect();
    let c = &cx.aws.ec2;
    c.create_tags()
        .set_resources(Some(ids.to_vec()))
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("ec2", "CreateTags"))?;
    if !remove.is_empty() {
        let keys = remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        c.delete_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(on("ec2", "DeleteTags"))?;
    }
    Ok(())
}

async fn elb(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_elasticloadbalancingv2::types::Tag;
    let tags = set.iter().map(|(k, v)| tag!(Tag, k, v)).collect();
    let c = &cx.aws.elbv2;
    c.add_tags()
        .resource_arns(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("elbv2", "AddTags"))?;
    if !remove.is_empty() {
        c.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(on("elbv2", "RemoveTags"))?;
    }
    Ok(())
}

async fn auto_scaling_group(
    cx: &Ctx<'_>,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_autoscaling::types::Tag;
    let tag = |k: &str| {
        Tag::builder()
            .resource_id(name)
            .resource_type("auto-scaling-group")
            .key(k)
            .propagate_at_launch(false)
    };
    let tags = set.iter().map(|(k, v)| tag(k).value(v).build()).collect();
    let c = &cx.aws.autoscaling;
    c.create_or_update_tags()
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("autoscaling", "CreateOrUpdateTags"))?;
    if !remove.is_empty() {
        let keys = remove.iter().map(|k| tag(k).build()).collect();
        c.delete_tags()
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(on("autoscaling", "DeleteTags"))?;
    }
    Ok(())
}

async fn role(
    cx: &Ctx<'_>,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_iam::types::Tag;
    let tags = tags!(Tag, set, "iam", "TagRole");
    let c = &cx.aws.iam;
    c.tag_role()
        .role_name(name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("iam", "TagRole"))?;
    if !remove.is_empty() {
        c.untag_role()
            .role_name(name)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(on("iam", "UntagRole"))?;
    }
    Ok(())
}

async fn instance_profile(
    cx: &Ctx<'_>,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_iam::types::Tag;
    let tags = tags!(Tag, set, "iam", "TagInstanceProfile");
    let c = &cx.aws.iam;
    c.tag_instance_profile()
        .instance_profile_name(name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("iam", "TagInstanceProfile"))?;
    if !remove.is_empty() {
        c.untag_instance_profile()
            .instance_profile_name(name)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(on("iam", "UntagInstanceProfile"))?;
    }
    Ok(())
}

async fn log_group(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    let tags = set.clone().into_iter().collect();
    by_resource_arn!(cx, logs, "logs", arn, tags, remove)
}

async fn trail(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_cloudtrail::types::Tag;
    let tags = tags!(Tag, set, "cloudtrail", "AddTags");
    let c = &cx.aws.cloudtrail;
    c.add_tags()
        .resource_id(arn)
        .set_tags_list(Some(tags))
        .send()
        .await
        .map_err(on("cloudtrail", "AddTags"))?;
    if !remove.is_empty() {
        let keys = remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::build("cloudtrail", "RemoveTags"))?;
        c.remove_tags()
            .resource_id(arn)
            .set_tags_list(Some(keys))
            .send()
            .await
            .map_err(on("cloudtrail", "RemoveTags"))?;
    }
    Ok(())
}

async fn codedeploy(
    cx: &Ctx<'_>,
    what: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_codedeploy::types::Tag;
    let arn = super::delivery::codedeploy_arn(cx, what).await?;
    let tags = set.iter().map(|(k, v)| tag!(Tag, k, v)).collect();
    by_resource_arn!(cx, codedeploy, "codedeploy", &arn, tags, remove)
}

async fn pipeline(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_codepipeline::types::Tag;
    let tags = tags!(Tag, set, "codepipeline", "TagResource");
    by_resource_arn!(cx, codepipeline, "codepipeline", arn, tags, remove)
}

async fn event_rule(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_eventbridge::types::Tag;
    let tags = tags!(Tag, set, "events", "TagResource");
    by_resource_arn!(cx, events, "events", arn, tags, remove)
}

async fn distribution(
    cx: &Ctx<'_>,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_cloudfront::types::{Tag, TagKeys, Tags};
    let items = tags!(Tag, set, "cloudfront", "TagResource");
    let c = &cx.aws.cloudfront;
    c.tag_resource()
        .resource(arn)
        .tags(Tags::builder().set_items(Some(items)).build())
        .send()
        .await
        .map_err(on("cloudfront", "TagResource"))?;
    if !remove.is_empty() {
        let keys = TagKeys::builder().set_items(Some(remove.to_vec())).build();
        c.untag_resource()
            .resource(arn)
            .tag_keys(keys)
            .send()
            .await
            .map_err(on("cloudfront", "UntagResource"))?;
    }
    Ok(())
}

async fn parameter(
    cx: &Ctx<'_>,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), Error> {
    use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};
    let tags = tags!(Tag, set, "ssm", "AddTagsToResource");
    let c = &cx.aws.ssm;
    c.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("ssm", "AddTagsToResource"))?;
    if !remove.is_empty() {
        c.remove_tags_from_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(on("ssm", "RemoveTagsFromResource"))?;
    }
    Ok(())
}
