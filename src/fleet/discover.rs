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

use std::collections::BTreeMap;
use std::future::Future;

use futures::future::{try_join_all, BoxFuture, FutureExt};

use super::args::{FleetArgs, SecretString};
use super::nodes::{Node, Records};
use super::FleetCtx;
use crate::aws::{Clients, Error, Waits};
use crate::identity::Identity;
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::auto_scaling_group::AutoScalingGroup;
use crate::resources::compute::{launch_template, scheduled_actions, user_data};
use crate::resources::delivery::{deployment_group, pipeline};
use crate::resources::lb::{listeners, target_group};
use crate::resources::network::{security_group, vpc};
use crate::resources::secrets::environment;
use crate::resources::Reconciler;

/// A fleet found in AWS by its name prefix alone.
#[derive(Debug)]
pub struct Imported {
    /// The records of its sub-resources.
    pub records: Records,
    /// The inputs its objects were made with, as AWS has them now (see [`inputs`]).
    pub args: FleetArgs,
    /// The secret its listeners admit, so later updates keep CloudFront's header valid.
    pub origin_secret: Option<String>,
}

/// Finds fleet `prefix` in AWS: its objects, the inputs they were made with and the origin secret;
/// `None` when nothing of it exists.
pub async fn import(
    aws: &Clients,
    waits: &Waits,
    prefix: &str,
    default_tags: &BTreeMap<String, String>,
) -> Result<Option<Imported>, Error> {
    let mut args: FleetArgs = super::parse(serde_json::json!({}))
        .map_err(|e| Error::Internal(format!("default inputs: {}", e.reason)))?;
    args.name_prefix = Some(prefix.to_string());
    let fleet = FleetCtx::new(aws, waits, &args, prefix, default_tags, None);
    let records = discover(&fleet).await?;
    if records.is_empty() {
        return Ok(None);
    }
    let secret = async {
        match &records.listeners {
            Some(l) => listeners::origin_secret(&fleet.cx(Node::Listeners), l).await,
            None => Ok(None),
        }
    };
    let (args, origin_secret) = tokio::try_join!(inputs(&fleet, &records), secret)?;
    Ok(Some(Imported {
        records,
        args,
        origin_secret,
    }))
}

/// The records of every sub-resource of fleet `fleet.prefix` found in AWS: first every object that
/// stands alone, all at once, then those that live inside one found (listeners, scheduled actions,
/// the deployment group, the AMI the template launches). Empty when there is no such fleet.
pub async fn discover(fleet: &FleetCtx<'_>) -> Result<Records, Error> {
    let (roots, inner): (Vec<Node>, Vec<Node>) =
        Node::ALL.iter().partition(|n| n.found_through().is_none());
    let mut found = Records::default();
    for wave in [roots, inner] {
        let got = try_join_all(wave.iter().map(|n| n.discover(fleet, &found))).await?;
        found.extend(got.into_iter().flatten());
    }
    Ok(found)
}

/// A change to the inputs, from what one part of the fleet says.
type Edit = Box<dyn FnOnce(&mut FleetArgs) + Send>;

/// The inputs the fleet's objects were made with, as AWS has them now (all read at once). What AWS
/// does not say (forceDestroy, dns) or what belongs to an object not found is left at its default;
/// the AMI and zones are always explicit, since the defaults would be looked up again.
pub async fn inputs(fleet: &FleetCtx<'_>, r: &Records) -> Result<FleetArgs, Error> {
    let reads: Vec<BoxFuture<'_, Result<Edit, Error>>> = vec![
        network(fleet, r).boxed(),
        template(fleet, r).boxed(),
        ssh(fleet, r).boxed(),
        target_group(fleet, r).boxed(),
        capacity(fleet, r).boxed(),
        schedule(fleet, r).boxed(),
        listener(fleet, r).boxed(),
        delivery(fleet, r).boxed(),
        cdn(fleet, r).boxed(),
        environment(fleet, r).boxed(),
    ];
    let mut args = fleet.args.clone();
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
) -> Result<Option<R>, Error>
where
    F: Future<Output = Result<Option<R>, Error>>,
{
    match record {
        Some(t) => read(t).await,
        None => Ok(None),
    }
}

/// The VPC's CIDR and the fleet's own tags; the subnets' zones.
async fn network(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::Vpc);
    let tags = of(&r.vpc, |v| vpc::tags(&cx, v)).await?;
    let tags = tags.map(|t| own_tags(fleet, Node::Vpc, t));
    let cidr = r.vpc.as_ref().map(|v| v.cidr.clone());
    let zones = r.subnets.as_ref().map(|s| s.availability_zones.clone());
    Ok(Box::new(move |a| {
        a.vpc_cidr = cidr.unwrap_or(a.vpc_cidr.clone());
        a.availability_zones = zones.or(a.availability_zones.take());
        a.tags = tags.unwrap_or_default();
    }))
}

/// What the launch template launches: instance type, AMI, key pair, Node.js and the user's commands.
async fn template(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::LaunchTemplate);
    let Some(d) = of(&r.launch_template, |t| launch_template::launches(&cx, t)).await? else {
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
async fn ssh(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::InstanceSecurityGroup);
    let rules = of(&r.instance_security_group, |sg| {
        security_group::rules(&cx, sg)
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
async fn target_group(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::TargetGroup);
    let Some(s) = of(&r.target_group, |tg| target_group::settings(&cx, tg)).await? else {
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
async fn capacity(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::AutoScalingGroup);
    let group = of(&r.auto_scaling_group, |g| AutoScalingGroup.read(&cx, g)).await?;
    let Some(c) = group.and_then(|g| g.capacity) else {
        return Ok(keep());
    };
    Ok(Box::new(move |a| {
        a.min_capacity = c.min;
        a.max_capacity = c.max;
        a.desired_capacity = (c.desired != c.min).then_some(c.desired);
    }))
}

async fn schedule(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let Some(s) = &r.scheduled_actions else {
        return Ok(keep());
    };
    let actions = scheduled_actions::inputs(&fleet.cx(Node::ScheduledActions), s).await?;
    Ok(Box::new(move |a| a.scheduled_actions = actions))
}

/// The HTTP listener's port and the HTTPS listener's certificate.
async fn listener(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let Some(l) = &r.listeners else {
        return Ok(keep());
    };
    let s = listeners::settings(&fleet.cx(Node::Listeners), l).await?;
    Ok(Box::new(move |a| {
        a.listener_port = s.port.unwrap_or(a.listener_port);
        a.certificate_arn = s.certificate_arn;
    }))
}

/// The deployment configuration and the release archive's key.
async fn delivery(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let (group_cx, pipeline_cx) = (fleet.cx(Node::DeploymentGroup), fleet.cx(Node::Pipeline));
    let config = of(&r.deployment_group, |g| {
        deployment_group::deployment_config(&group_cx, g)
    });
    let key = of(&r.pipeline, |p| pipeline::source_key(&pipeline_cx, p));
    let (config, key) = tokio::try_join!(config, key)?;
    Ok(Box::new(move |a| {
        a.deployment_config = config.unwrap_or(a.deployment_config.clone());
        a.source_key = key.unwrap_or(a.source_key.clone());
    }))
}

/// The app's environment, decrypted: the values become the imported (secret) input.
async fn environment(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let cx = fleet.cx(Node::Environment);
    let values = of(&r.environment, |e| environment::values(&cx, e)).await?;
    Ok(Box::new(move |a| {
        if let Some(v) = values {
            a.environment = v.into_iter().map(|(k, v)| (k, SecretString(v))).collect();
        }
    }))
}

/// Whether there is a distribution, its TTLs, cache key, certificate and aliases.
async fn cdn(fleet: &FleetCtx<'_>, r: &Records) -> Result<Edit, Error> {
    let (policy_cx, dist_cx) = (fleet.cx(Node::CachePolicy), fleet.cx(Node::Distribution));
    let policy = of(&r.cache_policy, |p| cache_policy::settings(&policy_cx, p));
    let viewer = of(&r.distribution, |d| distribution::viewer(&dist_cx, d));
    let (policy, viewer) = tokio::try_join!(policy, viewer)?;
    let enabled = r.distribution.is_some();
    Ok(Box::new(move |a| {
        a.cdn.enabled = enabled;
        if let Some(p) = policy {
            (a.cdn.default_ttl, a.cdn.min_ttl, a.cdn.max_ttl) =
                (p.default_ttl, p.min_ttl, p.max_ttl);
            (a.cdn.cache_query_strings, a.cdn.forward_cookies) = (p.query_strings, p.cookies);
        }
        if let Some((certificate_arn, aliases)) = viewer {
            (a.cdn.certificate_arn, a.cdn.aliases) = (certificate_arn, aliases);
        }
    }))
}

/// Of the tags on one of `node`'s objects, those the fleet's `tags` input put there: not the identity
/// tags, nor the generated Name, nor provider defaults with their default values.
fn own_tags(
    fleet: &FleetCtx<'_>,
    node: Node,
    on_object: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let id = Identity {
        fleet: fleet.prefix,
        node: node.name(),
    };
    let implied = id.tags(fleet.default_tags);
    on_object
        .into_iter()
        .filter(|(k, v)| implied.get(k) != Some(v))
        .collect()
}
