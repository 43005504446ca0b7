//! Import: find a fleet's sub-resources in AWS from its name prefix alone, and read back the inputs
//! they were made with.
//!
//! Every object is found by its identity: EC2 objects by their `ec2fleet:fleet` and `ec2fleet:node`
//! tags, the others by their deterministic name (`<prefix>-alb`, `<prefix>-assets`, ...) and then
//! kept only when their tags name this fleet, so a namesake of someone else's is never taken over.
//! Objects that live inside another (listeners, scheduled actions, the deployment group) belong to
//! the fleet when their parent does; the cache policy, which has no tags, is identified by its name
//! and the comment naming the fleet.
//!
//! The DNS record is not discovered: Route 53 records carry no tags and live in a hosted zone that
//! only the `dns` input names, so there is nothing to look in, or to prove ownership with. A fleet
//! imported with a record keeps it in AWS but not in its state; adding `dns` to the program and
//! running `pulumi up` adopts it again.

use std::future::Future;

use futures::future::{try_join_all, BoxFuture, FutureExt, TryFutureExt};

use super::args::FleetArgs;
use super::plan::{self, Node};
use super::state::{Made, Records};
use crate::aws::AwsError;
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::{
    auto_scaling_group, launch_template, scheduled_actions, user_data,
};
use crate::resources::delivery::{
    codedeploy_application, deployment_group, event_rule, pipeline, trail,
};
use crate::resources::iam::{
    codedeploy_role, events_role, instance_profile, instance_role, pipeline_role, role,
};
use crate::resources::lb::{listeners, load_balancer, target_group};
use crate::resources::network::{internet_gateway, route_table, security_group, subnets, vpc};
use crate::resources::observability::log_group;
use crate::resources::storage::bucket;
use crate::resources::Ctx;

/// The records of every sub-resource of fleet `cx.prefix` found in AWS, all looked up at once.
/// Empty when there is no such fleet. The AMI record is the image the launch template launches.
pub async fn discover(cx: &Ctx<'_>) -> Result<Records, AwsError> {
    let found = try_join_all(plan::all().into_iter().map(|n| find(cx, n))).await?;
    Ok(found.into_iter().flatten().collect())
}

/// `node`'s object, with those that can only be found through it.
async fn find(cx: &Ctx<'_>, node: Node) -> Result<Vec<Made>, AwsError> {
    use Node as N;
    let role = |suffix| role::discover(cx, suffix);
    let bucket = || bucket::discover(cx, node);
    let one = |m: Option<Made>| m.into_iter().collect();
    Ok(match node {
        N::Vpc => one(vpc::find(cx).await?.map(Made::Vpc)),
        N::Subnets => one(subnets::discover(cx).await?.map(Made::Subnets)),
        N::InternetGateway => one(internet_gateway::discover(cx)
            .await?
            .map(Made::InternetGateway)),
        N::RouteTable => one(route_table::discover(cx).await?.map(Made::RouteTable)),
        N::InstanceSecurityGroup => one(security_group::discover(cx, node)
            .await?
            .map(Made::InstanceSecurityGroup)),
        N::LoadBalancerSecurityGroup => one(security_group::discover(cx, node)
            .await?
            .map(Made::LoadBalancerSecurityGroup)),
        N::InstanceRole => one(role(instance_role::SUFFIX).await?.map(Made::InstanceRole)),
        N::CodeDeployRole => one(role(codedeploy_role::SUFFIX)
            .await?
            .map(Made::CodeDeployRole)),
        N::PipelineRole => one(role(pipeline_role::SUFFIX).await?.map(Made::PipelineRole)),
        N::EventsRole => one(role(events_role::SUFFIX).await?.map(Made::EventsRole)),
        N::InstanceProfile => one(instance_profile::discover(cx)
            .await?
            .map(Made::InstanceProfile)),
        N::LogGroup => one(log_group::discover(cx).await?.map(Made::LogGroup)),
        N::AssetBucket => one(bucket().await?.map(Made::AssetBucket)),
        N::SourceBucket => one(bucket().await?.map(Made::SourceBucket)),
        N::ArtifactBucket => one(bucket().await?.map(Made::ArtifactBucket)),
        N::Trail => one(trail::discover(cx).await?.map(Made::Trail)),
        N::TargetGroup => one(target_group::discover(cx).await?.map(Made::TargetGroup)),
        N::Pipeline => one(pipeline::discover(cx).await?.map(Made::Pipeline)),
        N::EventRule => one(event_rule::discover(cx).await?.map(Made::EventRule)),
        N::CachePolicy => one(cache_policy::discover(cx).await?.map(Made::CachePolicy)),
        N::Distribution => one(distribution::discover(cx).await?.map(Made::Distribution)),
        N::LaunchTemplate => {
            let t = launch_template::discover(cx).await?;
            let launched = of(&t, |t| launch_template::launches(cx, t)).await?;
            let image = launched.and_then(|d| d.image_id().map(str::to_string));
            both(t.map(Made::LaunchTemplate), image.map(Made::Ami))
        }
        N::LoadBalancer => {
            let lb = load_balancer::discover(cx).await?;
            let l = of(&lb, |lb| listeners::discover(cx, lb)).await?;
            both(lb.map(Made::LoadBalancer), l.map(Made::Listeners))
        }
        N::AutoScalingGroup => {
            let g = auto_scaling_group::discover(cx).await?;
            let schedule = |g| scheduled_actions::discover(cx, g).map_ok(Some);
            let s = of(&g, schedule).await?;
            both(g.map(Made::AutoScalingGroup), s.map(Made::ScheduledActions))
        }
        N::CodeDeployApplication => {
            let app = codedeploy_application::discover(cx).await?;
            let g = of(&app, |app| deployment_group::discover(cx, app)).await?;
            both(
                app.map(Made::CodeDeployApplication),
                g.map(Made::DeploymentGroup),
            )
        }
        // Found with the object they belong to (above), or not at all (see the module docs).
        N::Ami | N::Listeners | N::ScheduledActions | N::DeploymentGroup | N::DnsRecord => {
            Vec::new()
        }
    })
}

/// An object and the one found through it.
fn both(parent: Option<Made>, child: Option<Made>) -> Vec<Made> {
    parent.into_iter().chain(child).collect()
}

/// A change to the inputs, from what one part of the fleet says.
type Edit = Box<dyn FnOnce(&mut FleetArgs) + Send>;

/// The inputs the fleet's objects were made with, as AWS has them now (all read at once). What AWS
/// does not say (forceDestroy, dns) or what belongs to an object not found is left at its default;
/// the AMI and zones are always explicit, since the defaults would be looked up again.
pub async fn inputs(cx: &Ctx<'_>, r: &Records) -> Result<FleetArgs, AwsError> {
    let reads: Vec<BoxFuture<'_, Result<Edit, AwsError>>> = vec![
        network(cx, r).boxed(),
        template(cx, r).boxed(),
        ssh(cx, r).boxed(),
        target_group(cx, r).boxed(),
        capacity(cx, r).boxed(),
        schedule(cx, r).boxed(),
        listener(cx, r).boxed(),
        delivery(cx, r).boxed(),
        cdn(cx, r).boxed(),
    ];
    let mut args: FleetArgs = super::parse(serde_json::json!({})).map_err(|e| {
        AwsError::conflict(
            "ec2fleet",
            "import",
            format!("default inputs: {}", e.reason),
        )
    })?;
    args.name_prefix = Some(cx.prefix.to_string());
    for edit in try_join_all(reads).await? {
        edit(&mut args);
    }
    Ok(args)
}

/// No change.
fn keep() -> Edit {
    Box::new(|_| {})
}

/// What `read` says about the record, when there is one.
async fn of<'r, T, R, F>(
    record: &'r Option<T>,
    read: impl FnOnce(&'r T) -> F,
) -> Result<Option<R>, AwsError>
where
    F: Future<Output = Result<Option<R>, AwsError>>,
{
    match record {
        Some(t) => read(t).await,
        None => Ok(None),
    }
}

/// The VPC's CIDR and the fleet's own tags; the subnets' zones.
async fn network(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let tags = of(&r.vpc, |v| vpc::tags(cx, v)).await?;
    let tags = tags.map(|t| cx.own_tags(Node::Vpc, t));
    let cidr = r.vpc.as_ref().map(|v| v.cidr.clone());
    let zones = r.subnets.as_ref().map(|s| s.availability_zones.clone());
    Ok(Box::new(move |a| {
        a.vpc_cidr = cidr.unwrap_or(a.vpc_cidr.clone());
        a.availability_zones = zones.or(a.availability_zones.take());
        a.tags = tags.unwrap_or_default();
    }))
}

/// What the launch template launches: instance type, AMI, key pair, Node.js and the user's commands.
async fn template(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let Some(d) = of(&r.launch_template, |t| launch_template::launches(cx, t)).await? else {
        return Ok(keep());
    };
    let script = d
        .user_data()
        .and_then(|u| aws_smithy_types::base64::decode(u).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let parsed = user_data::parse(&script);
    let instance_type = d.instance_type().map(|t| t.as_str().to_string());
    let ami = d.image_id().map(str::to_string);
    let key_name = d.key_name().map(str::to_string);
    Ok(Box::new(move |a| {
        a.instance_type = instance_type.unwrap_or(a.instance_type.clone());
        a.ami = ami;
        a.key_name = key_name;
        a.node_version = parsed.node_version.unwrap_or(a.node_version.clone());
        a.user_data = parsed.extra;
    }))
}

/// The CIDRs the instances' security group lets in on port 22.
async fn ssh(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let rules = of(&r.instance_security_group, |sg| {
        security_group::read(cx, sg)
    })
    .await?;
    let cidrs: Vec<String> = rules
        .unwrap_or_default()
        .iter()
        .filter(|p| p.from_port() == Some(22) && p.to_port() == Some(22))
        .flat_map(|p| p.ip_ranges())
        .filter_map(|range| range.cidr_ip().map(str::to_string))
        .collect();
    Ok(Box::new(move |a| a.ssh_ingress_cidrs = cidrs))
}

/// The app port, health check and deregistration delay.
async fn target_group(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let Some(s) = of(&r.target_group, |tg| target_group::settings(cx, tg)).await? else {
        return Ok(keep());
    };
    Ok(Box::new(move |a| {
        a.app_port = s.port;
        a.health_check = s.health_check;
        if let Some(d) = s.deregistration_delay_seconds {
            a.deregistration_delay_seconds = d;
        }
    }))
}

/// The group's sizes; the desired size only when it is not the minimum (the input's default).
async fn capacity(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let Some(c) = of(&r.auto_scaling_group, |g| auto_scaling_group::read(cx, g)).await? else {
        return Ok(keep());
    };
    Ok(Box::new(move |a| {
        a.min_capacity = c.min;
        a.max_capacity = c.max;
        a.desired_capacity = (c.desired != c.min).then_some(c.desired);
    }))
}

async fn schedule(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let Some(s) = &r.scheduled_actions else {
        return Ok(keep());
    };
    let actions = scheduled_actions::inputs(cx, s).await?;
    Ok(Box::new(move |a| a.scheduled_actions = actions))
}

/// The HTTP listener's port and the HTTPS listener's certificate.
async fn listener(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let Some(l) = &r.listeners else {
        return Ok(keep());
    };
    let s = listeners::settings(cx, l).await?;
    Ok(Box::new(move |a| {
        a.listener_port = s.port.unwrap_or(a.listener_port);
        a.certificate_arn = s.certificate_arn;
    }))
}

/// The deployment configuration and the release archive's key.
async fn delivery(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let config = of(&r.deployment_group, |g| {
        deployment_group::deployment_config(cx, g)
    });
    let key = of(&r.pipeline, |p| pipeline::source_key(cx, p));
    let (config, key) = tokio::try_join!(config, key)?;
    Ok(Box::new(move |a| {
        a.deployment_config = config.unwrap_or(a.deployment_config.clone());
        a.source_key = key.unwrap_or(a.source_key.clone());
    }))
}

/// Whether there is a distribution, its TTLs, certificate and aliases.
async fn cdn(cx: &Ctx<'_>, r: &Records) -> Result<Edit, AwsError> {
    let ttls = of(&r.cache_policy, |p| cache_policy::ttls(cx, p));
    let viewer = of(&r.distribution, |d| distribution::viewer(cx, d));
    let (ttls, viewer) = tokio::try_join!(ttls, viewer)?;
    let enabled = r.distribution.is_some();
    Ok(Box::new(move |a| {
        a.cdn.enabled = enabled;
        if let Some((default_ttl, min_ttl, max_ttl)) = ttls {
            (a.cdn.default_ttl, a.cdn.min_ttl, a.cdn.max_ttl) = (default_ttl, min_ttl, max_ttl);
        }
        if let Some((certificate_arn, aliases)) = viewer {
            (a.cdn.certificate_arn, a.cdn.aliases) = (certificate_arn, aliases);
        }
    }))
}
