//! Create and resume: walk the fleet's graph forwards, making every sub-resource not yet recorded as
//! soon as its dependencies exist. On a failure nothing new starts, running nodes finish, and the
//! caller gets every record made so far with the reasons, so the next run makes only what is missing.

use std::time::Duration;

use tokio::sync::watch;

use super::plan::{self, Node};
use super::state::{need, Made, Records};
use crate::aws::{AwsError, ErrorClass};
use crate::graph::{run, Queue};
use crate::resources::cdn::{cache_policy, distribution};
use crate::resources::compute::{ami, auto_scaling_group, launch_template, scheduled_actions};
use crate::resources::delivery::{
    codedeploy_application, deployment_group, event_rule, pipeline, trail,
};
use crate::resources::dns::record;
use crate::resources::iam::{
    codedeploy_role, events_role, instance_profile, instance_role, pipeline_role,
};
use crate::resources::lb::{listeners, load_balancer, target_group};
use crate::resources::network::{
    instance_security_group, internet_gateway, load_balancer_security_group, route_table, subnets,
    vpc,
};
use crate::resources::observability::log_group;
use crate::resources::storage::bucket;
use crate::resources::Ctx;

/// How many sub-resources may be in flight at once: every node is I/O-bound, and the widest level
/// of the graph has about ten.
pub const PARALLEL: usize = 16;

/// A run that did not finish: what exists, and why the rest does not.
#[derive(Debug)]
pub struct Incomplete {
    /// Every record made, before and during the run.
    pub records: Records,
    /// The nodes that failed, with their errors.
    pub failed: Vec<(Node, AwsError)>,
    /// Nodes that never started.
    pub not_started: Vec<Node>,
    /// Whether a cancel stopped it.
    pub cancelled: bool,
}

/// Makes every sub-resource of `cx.args`. With `resume`, the ones `have` records are reused as they
/// are; without it (new inputs), every node reconciles its object again. Either way the result keeps
/// every record of `have` not remade, so nothing made before is ever forgotten.
/// `origin_secret` is the header value CloudFront sends and the load balancer requires (CDN only).
/// `progress` hears of each node as it finishes.
pub async fn apply(
    cx: &Ctx<'_>,
    origin_secret: Option<&str>,
    have: Records,
    resume: bool,
    cancel: watch::Receiver<bool>,
    progress: &(dyn Fn(Node, usize, usize) + Send + Sync),
) -> Result<Records, Incomplete> {
    let graph = plan::graph(cx.args);
    let total = graph.len();
    let queue = Queue::new(graph).expect("the fleet graph is closed and acyclic (tested)");
    let mut done = if resume {
        have.all()
    } else {
        Default::default()
    };
    done.retain(|n, _| queue.contains(n));
    let finished = std::sync::atomic::AtomicUsize::new(done.len());
    let outcome = run::run(queue, done, PARALLEL, cancel, |node, deps| {
        let deps: Records = deps.into_values().collect();
        let finished = &finished;
        async move {
            let made = make_when_propagated(cx, origin_secret, node, &deps).await?;
            let n = finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            progress(node, n, total);
            Ok(made)
        }
    })
    .await;
    // Records of nodes outside this run's graph (say, a CDN being turned off) are kept: they exist
    // until something deletes them.
    let mut records = have;
    let complete = outcome.is_complete();
    for made in outcome.done.into_values() {
        records.insert(made);
    }
    if complete {
        return Ok(records);
    }
    Err(Incomplete {
        records,
        failed: outcome.failed,
        not_started: outcome.not_started,
        cancelled: outcome.cancelled,
    })
}

/// [`make`], retried while AWS reports a just-made IAM object as unknown (instance profiles take a few
/// seconds to reach EC2 and Auto Scaling): that exact error, not a blind sleep.
async fn make_when_propagated(
    cx: &Ctx<'_>,
    secret: Option<&str>,
    node: Node,
    deps: &Records,
) -> Result<Made, AwsError> {
    let what = format!("IAM changes to reach AWS before {node}");
    cx.waits
        .while_failing(
            ErrorClass::PropagationDelay,
            &what,
            Duration::from_secs(2),
            || make(cx, secret, node, deps),
        )
        .await
}

/// Makes (or adopts and brings up to date) one sub-resource from its dependencies' records.
async fn make(
    cx: &Ctx<'_>,
    secret: Option<&str>,
    node: Node,
    d: &Records,
) -> Result<Made, AwsError> {
    use Node as N;
    let vpc = || need(&d.vpc, N::Vpc);
    let name = |b: &Option<bucket::BucketState>, n| need(b, n).map(|b| b.name.clone());
    Ok(match node {
        N::Ami => Made::Ami(ami::resolve(cx).await?),
        N::Vpc => Made::Vpc(vpc::create(cx).await?),
        N::Subnets => Made::Subnets(subnets::create(cx, vpc()?).await?),
        N::InternetGateway => Made::InternetGateway(internet_gateway::create(cx, vpc()?).await?),
        N::RouteTable => Made::RouteTable(
            route_table::create(
                cx,
                vpc()?,
                need(&d.internet_gateway, N::InternetGateway)?,
                need(&d.subnets, N::Subnets)?,
            )
            .await?,
        ),
        N::LoadBalancerSecurityGroup => {
            Made::LoadBalancerSecurityGroup(load_balancer_security_group::create(cx, vpc()?).await?)
        }
        N::InstanceSecurityGroup => Made::InstanceSecurityGroup(
            instance_security_group::create(
                cx,
                vpc()?,
                need(
                    &d.load_balancer_security_group,
                    N::LoadBalancerSecurityGroup,
                )?,
            )
            .await?,
        ),
        N::AssetBucket => Made::AssetBucket(bucket::create(cx, node, false).await?),
        N::SourceBucket => Made::SourceBucket(bucket::create(cx, node, true).await?),
        N::ArtifactBucket => Made::ArtifactBucket(bucket::create(cx, node, false).await?),
        N::Trail => Made::Trail(
            trail::create(
                cx,
                &trail::Refs {
                    source: need(&d.source_bucket, N::SourceBucket)?,
                    logs: need(&d.artifact_bucket, N::ArtifactBucket)?,
                },
            )
            .await?,
        ),
        N::LogGroup => Made::LogGroup(log_group::create(cx).await?),
        N::InstanceRole => {
            let grants = instance_role::Grants {
                asset_bucket: name(&d.asset_bucket, N::AssetBucket)?,
                source_bucket: name(&d.source_bucket, N::SourceBucket)?,
                artifact_bucket: name(&d.artifact_bucket, N::ArtifactBucket)?,
                log_group_arn: need(&d.log_group, N::LogGroup)?.arn.clone(),
            };
            Made::InstanceRole(instance_role::create(cx, &grants).await?)
        }
        N::InstanceProfile => Made::InstanceProfile(
            instance_profile::create(cx, need(&d.instance_role, N::InstanceRole)?).await?,
        ),
        N::LaunchTemplate => {
            let refs = launch_template::Refs {
                ami: need(&d.ami, N::Ami)?,
                security_group: need(&d.instance_security_group, N::InstanceSecurityGroup)?,
                profile: need(&d.instance_profile, N::InstanceProfile)?,
                log_group: need(&d.log_group, N::LogGroup)?,
            };
            Made::LaunchTemplate(launch_template::create(cx, &refs).await?)
        }
        N::LoadBalancer => Made::LoadBalancer(
            load_balancer::create(
                cx,
                need(&d.subnets, N::Subnets)?,
                need(
                    &d.load_balancer_security_group,
                    N::LoadBalancerSecurityGroup,
                )?,
            )
            .await?,
        ),
        N::TargetGroup => Made::TargetGroup(target_group::create(cx, vpc()?).await?),
        N::Listeners => Made::Listeners(
            listeners::create(
                cx,
                need(&d.load_balancer, N::LoadBalancer)?,
                need(&d.target_group, N::TargetGroup)?,
                secret,
            )
            .await?,
        ),
        N::AutoScalingGroup => {
            let refs = auto_scaling_group::Refs {
                template: need(&d.launch_template, N::LaunchTemplate)?,
                subnets: need(&d.subnets, N::Subnets)?,
                target_group: need(&d.target_group, N::TargetGroup)?,
            };
            Made::AutoScalingGroup(auto_scaling_group::create(cx, &refs).await?)
        }
        N::ScheduledActions => Made::ScheduledActions(
            scheduled_actions::create(cx, need(&d.auto_scaling_group, N::AutoScalingGroup)?)
                .await?,
        ),
        N::CodeDeployRole => Made::CodeDeployRole(codedeploy_role::create(cx).await?),
        N::CodeDeployApplication => {
            Made::CodeDeployApplication(codedeploy_application::create(cx).await?)
        }
        N::DeploymentGroup => {
            let refs = deployment_group::Refs {
                application: need(&d.code_deploy_application, N::CodeDeployApplication)?,
                role: need(&d.code_deploy_role, N::CodeDeployRole)?,
                group: need(&d.auto_scaling_group, N::AutoScalingGroup)?,
                target_group: need(&d.target_group, N::TargetGroup)?,
            };
            Made::DeploymentGroup(deployment_group::create(cx, &refs).await?)
        }
        N::PipelineRole => {
            let source = name(&d.source_bucket, N::SourceBucket)?;
            let artifacts = name(&d.artifact_bucket, N::ArtifactBucket)?;
            let buckets = pipeline_role::Buckets {
                source: &source,
                artifacts: &artifacts,
            };
            Made::PipelineRole(pipeline_role::create(cx, &buckets).await?)
        }
        N::Pipeline => {
            let refs = pipeline::Refs {
                role: need(&d.pipeline_role, N::PipelineRole)?,
                source: need(&d.source_bucket, N::SourceBucket)?,
                artifacts: need(&d.artifact_bucket, N::ArtifactBucket)?,
                group: need(&d.deployment_group, N::DeploymentGroup)?,
            };
            Made::Pipeline(pipeline::create(cx, &refs).await?)
        }
        N::EventsRole => {
            Made::EventsRole(events_role::create(cx, &need(&d.pipeline, N::Pipeline)?.arn).await?)
        }
        N::EventRule => {
            let refs = event_rule::Refs {
                source: need(&d.source_bucket, N::SourceBucket)?,
                pipeline: need(&d.pipeline, N::Pipeline)?,
                role: need(&d.events_role, N::EventsRole)?,
            };
            Made::EventRule(event_rule::create(cx, &refs).await?)
        }
        N::CachePolicy => Made::CachePolicy(cache_policy::create(cx).await?),
        N::Distribution => {
            let refs = distribution::Refs {
                load_balancer: need(&d.load_balancer, N::LoadBalancer)?,
                cache_policy: need(&d.cache_policy, N::CachePolicy)?,
                origin_secret: secret.unwrap_or_default(),
            };
            Made::Distribution(distribution::create(cx, &refs).await?)
        }
        N::DnsRecord => {
            let dns = cx.args.dns.as_ref().ok_or_else(|| {
                AwsError::conflict("route53", "plan", "internal error: no dns inputs".into())
            })?;
            let target = match &d.distribution {
                Some(dist) => record::Target::Distribution(dist),
                None => record::Target::LoadBalancer(need(&d.load_balancer, N::LoadBalancer)?),
            };
            Made::DnsRecord(record::create(cx, dns, target).await?)
        }
    })
}
