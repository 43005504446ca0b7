//! Sub-resource stacks several tests stand a resource on, made with the fleet's own sub-resources and
//! torn down in dependency order; and the hosted zones and certificates a user would bring.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use ec2fleet::aws::Clients;
use ec2fleet::resources::cdn::{cache_policy, distribution};
use ec2fleet::resources::compute::{ami, auto_scaling_group, launch_template};
use ec2fleet::resources::iam::role::RoleState;
use ec2fleet::resources::iam::{instance_profile, instance_role};
use ec2fleet::resources::lb::{load_balancer, target_group};
use ec2fleet::resources::network::{
    instance_security_group, internet_gateway, load_balancer_security_group, route_table,
    security_group, subnets, vpc,
};
use ec2fleet::resources::observability::log_group;
use ec2fleet::resources::Ctx;

use super::Fleet;

/// The public network a load balancer sits in: VPC, subnets, internet gateway, route table, and the
/// load balancer's security group.
pub struct Network {
    pub net: vpc::VpcState,
    pub subs: subnets::SubnetsState,
    pub igw: internet_gateway::InternetGatewayState,
    pub rt: route_table::RouteTableState,
    pub lb_sg: security_group::SecurityGroupState,
}

impl Network {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let net = vpc::create(cx).await.unwrap();
        let subs = subnets::create(cx, &net).await.unwrap();
        let igw = internet_gateway::create(cx, &net).await.unwrap();
        let rt = route_table::create(cx, &net, &igw, &subs).await.unwrap();
        let lb_sg = load_balancer_security_group::create(cx, &net)
            .await
            .unwrap();
        Self {
            net,
            subs,
            igw,
            rt,
            lb_sg,
        }
    }

    /// Deletes it all, once whatever was in it is gone.
    pub async fn delete(&self, cx: &Ctx<'_>) {
        security_group::delete(cx, &self.lb_sg).await.unwrap();
        route_table::delete(cx, &self.rt).await.unwrap();
        internet_gateway::delete(cx, &self.igw).await.unwrap();
        subnets::delete(cx, &self.subs).await.unwrap();
        vpc::delete(cx, &self.net).await.unwrap();
    }
}

/// The public network with an internet-facing load balancer in it (what DNS records point at).
pub struct Frontend {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
}

impl Frontend {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let network = Network::create(cx).await;
        let lb = load_balancer::create(cx, &network.subs, &network.lb_sg)
            .await
            .unwrap();
        Self { network, lb }
    }

    pub async fn delete(&self, cx: &Ctx<'_>) {
        load_balancer::delete(cx, &self.lb).await.unwrap();
        self.network.delete(cx).await;
    }
}

/// A frontend with a target group: what the listeners join.
pub struct Balanced {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
    pub tg: target_group::TargetGroupState,
}

impl Balanced {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let Frontend { network, lb } = Frontend::create(cx).await;
        let tg = target_group::create(cx, &network.net).await.unwrap();
        Self { network, lb, tg }
    }

    /// Deletes it all, once the listeners are gone.
    pub async fn delete(&self, cx: &Ctx<'_>) {
        load_balancer::delete(cx, &self.lb).await.unwrap();
        target_group::delete(cx, &self.tg).await.unwrap();
        self.network.delete(cx).await;
    }
}

/// A frontend with a cache policy: what a distribution fronts and caches with.
pub struct Origin {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
    pub policy: cache_policy::CachePolicyState,
}

impl Origin {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let Frontend { network, lb } = Frontend::create(cx).await;
        let policy = cache_policy::create(cx).await.unwrap();
        Self {
            network,
            lb,
            policy,
        }
    }

    /// A distribution's references to it, with the secret header it sends the load balancer.
    pub fn refs<'a>(&'a self, secret: &'a str) -> distribution::Refs<'a> {
        distribution::Refs {
            load_balancer: &self.lb,
            cache_policy: &self.policy,
            origin_secret: secret,
        }
    }

    /// Deletes it all, once the distribution is gone.
    pub async fn delete(&self, cx: &Ctx<'_>) {
        cache_policy::delete(cx, &self.policy).await.unwrap();
        load_balancer::delete(cx, &self.lb).await.unwrap();
        self.network.delete(cx).await;
    }
}

/// The role, instance profile and log group a launch template refers to.
pub struct Identity {
    pub role: RoleState,
    pub profile: instance_profile::InstanceProfileState,
    pub logs: log_group::LogGroupState,
}

impl Identity {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let grants = instance_role::Grants {
            asset_bucket: "a".into(),
            source_bucket: "s".into(),
            artifact_bucket: "r".into(),
            log_group_arn: "arn:aws:logs:us-east-1:1:log-group:x".into(),
        };
        let role = instance_role::create(cx, &grants).await.unwrap();
        Self {
            profile: instance_profile::create(cx, &role).await.unwrap(),
            logs: log_group::create(cx).await.unwrap(),
            role,
        }
    }

    pub async fn delete(&self, cx: &Ctx<'_>) {
        log_group::delete(cx, &self.logs).await.unwrap();
        instance_profile::delete(cx, &self.profile).await.unwrap();
        instance_role::delete(cx, &self.role).await.unwrap();
    }
}

/// What an Auto Scaling group is made of: the public network, the instances' security group and
/// identity, a launch template on the region's latest AMI, and the target group the instances join.
pub struct GroupInputs {
    pub network: Network,
    pub sg: security_group::SecurityGroupState,
    pub identity: Identity,
    pub lt: launch_template::LaunchTemplateState,
    pub tg: target_group::TargetGroupState,
}

impl GroupInputs {
    pub async fn create(cx: &Ctx<'_>) -> Self {
        let network = Network::create(cx).await;
        let sg = instance_security_group::create(cx, &network.net, &network.lb_sg)
            .await
            .unwrap();
        let identity = Identity::create(cx).await;
        let image = ami::resolve(cx).await.unwrap();
        let lt_refs = launch_template::Refs {
            ami: &image,
            security_group: &sg,
            profile: &identity.profile,
            log_group: &identity.logs,
        };
        let lt = launch_template::create(cx, &lt_refs).await.unwrap();
        let tg = target_group::create(cx, &network.net).await.unwrap();
        Self {
            network,
            sg,
            identity,
            lt,
            tg,
        }
    }

    /// An Auto Scaling group's references to them.
    pub fn group_refs(&self) -> auto_scaling_group::Refs<'_> {
        auto_scaling_group::Refs {
            template: &self.lt,
            subnets: &self.network.subs,
            target_group: &self.tg,
        }
    }

    /// Deletes them all, once the group is gone.
    pub async fn delete(&self, cx: &Ctx<'_>) {
        target_group::delete(cx, &self.tg).await.unwrap();
        launch_template::delete(cx, &self.lt).await.unwrap();
        self.identity.delete(cx).await;
        security_group::delete(cx, &self.sg).await.unwrap();
        self.network.delete(cx).await;
    }
}

/// A public hosted zone `name`, made as its owner would; returns its ID as a user gives it (without
/// the `/hostedzone/` prefix).
pub async fn hosted_zone(aws: &Clients, name: &str, caller_reference: &str) -> String {
    let out = aws
        .route53
        .create_hosted_zone()
        .name(name)
        .caller_reference(caller_reference)
        .send()
        .await
        .expect("hosted zone");
    let id = out.hosted_zone().expect("the new zone").id();
    id.trim_start_matches("/hostedzone/").to_string()
}

/// A fleet named `prefix` in `account` whose DNS record goes into `zone_name`, a hosted zone made for
/// it first; and the zone's ID.
pub async fn fleet_with_zone(account: &str, prefix: &str, zone_name: &str) -> (Fleet, String) {
    let aws = super::clients(account).await;
    let zone_id = hosted_zone(&aws, zone_name, account).await;
    let inputs = serde_json::json!({"dns": {"hostedZoneId": zone_id, "zoneName": zone_name}});
    (Fleet::in_account(account, prefix, inputs).await, zone_id)
}

/// Deletes the hosted zone `id`, which only succeeds once its own NS and SOA are all that is left.
pub async fn delete_hosted_zone(aws: &Clients, id: &str) {
    aws.route53
        .delete_hosted_zone()
        .id(id)
        .send()
        .await
        .expect("the zone is empty again once the fleet's record is gone");
}

/// A fleet named `prefix` in a fresh account that holds an issued certificate for `domain`; `inputs`
/// gives the fleet's inputs for the certificate's ARN. Returns the fleet and the ARN.
pub async fn fleet_with_certificate(
    prefix: &str,
    domain: &str,
    inputs: impl FnOnce(&str) -> serde_json::Value,
) -> (Fleet, String) {
    let account = super::fresh_account();
    let cert = certificate(&account, domain);
    let f = Fleet::in_account(&account, prefix, inputs(&cert)).await;
    (f, cert)
}

/// An issued ACM certificate for `domain` in `account` (the provider has no ACM client); its ARN.
pub fn certificate(account: &str, domain: &str) -> String {
    let issued = super::emulator().aws_json(
        account,
        "acm",
        "CertificateManager.RequestCertificate",
        serde_json::json!({ "DomainName": domain }),
    );
    issued["CertificateArn"]
        .as_str()
        .expect("a certificate ARN")
        .to_string()
}

pub fn delete_certificate(account: &str, arn: &str) {
    super::emulator().aws_json(
        account,
        "acm",
        "CertificateManager.DeleteCertificate",
        serde_json::json!({ "CertificateArn": arn }),
    );
}
