//! Sub-resource stacks several tests stand a resource on, made with the fleet's own sub-resources and
//! torn down in dependency order; and the hosted zones and certificates a user would bring. Specs are
//! built from the fixture's inputs the way the fleet builds them.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use ec2fleet::aws::Clients;
use ec2fleet::resources::cdn::{cache_policy, distribution};
use ec2fleet::resources::compute::{ami, auto_scaling_group, launch_template};
use ec2fleet::resources::delivery::{codedeploy_application, deployment_group};
use ec2fleet::resources::iam::role::RoleState;
use ec2fleet::resources::iam::{codedeploy_role, instance_profile, instance_role};
use ec2fleet::resources::lb::{load_balancer, target_group};
use ec2fleet::resources::network::{
    instance_security_group, internet_gateway, load_balancer_security_group, route_table,
    security_group, subnets, vpc,
};
use ec2fleet::resources::observability::log_group;
use ec2fleet::resources::Reconciler;

use super::Fleet;

/// The VPC's spec from the fleet's inputs.
pub fn vpc_spec(f: &Fleet) -> vpc::Spec {
    vpc::Spec {
        cidr: f.args.vpc_cidr.clone(),
    }
}

/// The subnets' spec from the fleet's inputs.
pub fn subnets_spec(f: &Fleet, net: &vpc::VpcState) -> subnets::Spec {
    subnets::Spec {
        vpc: net.clone(),
        zones: f.args.availability_zones.clone(),
        instance_type: f.args.instance_type.clone(),
    }
}

/// The load balancer's security group spec from the fleet's inputs, with the ports the fleet opens.
pub fn lb_group_spec(f: &Fleet, net: &vpc::VpcState) -> security_group::Spec {
    security_group::Spec::LoadBalancer(load_balancer_security_group::Spec {
        vpc: net.clone(),
        ports: f.fleet(None).open_ports(),
        cdn: f.args.cdn.enabled,
    })
}

/// The instances' security group spec from the fleet's inputs.
pub fn instance_group_spec(
    f: &Fleet,
    net: &vpc::VpcState,
    lb: &security_group::SecurityGroupState,
) -> security_group::Spec {
    security_group::Spec::Instances(instance_security_group::Spec {
        vpc: net.clone(),
        load_balancer_group: lb.clone(),
        app_port: f.args.app_port,
        ssh_cidrs: f.args.ssh_ingress_cidrs.clone(),
    })
}

/// The launch template's spec from the fleet's inputs, on `ami`, the instances' group and identity.
pub fn launch_template_spec(
    f: &Fleet,
    ami: String,
    sg: &security_group::SecurityGroupState,
    identity: &Identity,
) -> launch_template::Spec {
    let a = &f.args;
    launch_template::Spec {
        ami,
        security_group: sg.clone(),
        profile: identity.profile.clone(),
        log_group: identity.logs.clone(),
        instance_type: a.instance_type.clone(),
        key_name: a.key_name.clone(),
        node_version: a.node_version.clone(),
        app_port: a.app_port,
        health_path: a.health_check.path.clone(),
        user_data: a.user_data.clone(),
    }
}

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
    pub async fn create(f: &Fleet) -> Self {
        let net = vpc::Vpc.apply(&f.cx("Vpc"), &vpc_spec(f)).await.unwrap();
        let subs = subnets::Subnets
            .apply(&f.cx("Subnets"), &subnets_spec(f, &net))
            .await
            .unwrap();
        let igw = internet_gateway::InternetGateway
            .apply(
                &f.cx("InternetGateway"),
                &internet_gateway::Spec { vpc: net.clone() },
            )
            .await
            .unwrap();
        let rt = route_table::RouteTable
            .apply(
                &f.cx("RouteTable"),
                &route_table::Spec {
                    vpc: net.clone(),
                    gateway: igw.clone(),
                    subnets: subs.clone(),
                },
            )
            .await
            .unwrap();
        let lb_sg = security_group::SecurityGroup
            .apply(&f.cx("LoadBalancerSecurityGroup"), &lb_group_spec(f, &net))
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
    pub async fn delete(&self, f: &Fleet) {
        security_group::SecurityGroup
            .delete(&f.cx("LoadBalancerSecurityGroup"), &self.lb_sg)
            .await
            .unwrap();
        route_table::RouteTable
            .delete(&f.cx("RouteTable"), &self.rt)
            .await
            .unwrap();
        internet_gateway::InternetGateway
            .delete(&f.cx("InternetGateway"), &self.igw)
            .await
            .unwrap();
        subnets::Subnets
            .delete(&f.cx("Subnets"), &self.subs)
            .await
            .unwrap();
        vpc::Vpc.delete(&f.cx("Vpc"), &self.net).await.unwrap();
    }
}

/// The target group's spec from the fleet's inputs.
fn target_group_spec(f: &Fleet, net: &vpc::VpcState) -> target_group::Spec {
    target_group::Spec {
        vpc: net.clone(),
        port: f.args.app_port,
        health_check: f.args.health_check.clone(),
        deregistration_delay_seconds: f.args.deregistration_delay_seconds,
    }
}

/// An internet-facing load balancer in `network`.
async fn make_load_balancer(f: &Fleet, network: &Network) -> load_balancer::LoadBalancerState {
    load_balancer::LoadBalancer
        .apply(
            &f.cx("LoadBalancer"),
            &load_balancer::Spec {
                subnets: network.subs.clone(),
                security_group: network.lb_sg.clone(),
            },
        )
        .await
        .unwrap()
}

async fn delete_load_balancer(f: &Fleet, lb: &load_balancer::LoadBalancerState) {
    load_balancer::LoadBalancer
        .delete(&f.cx("LoadBalancer"), lb)
        .await
        .unwrap();
}

async fn delete_target_group(f: &Fleet, tg: &target_group::TargetGroupState) {
    target_group::TargetGroup
        .delete(&f.cx("TargetGroup"), tg)
        .await
        .unwrap();
}

/// The public network with an internet-facing load balancer in it (what DNS records point at).
pub struct Frontend {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
}

impl Frontend {
    pub async fn create(f: &Fleet) -> Self {
        let network = Network::create(f).await;
        let lb = make_load_balancer(f, &network).await;
        Self { network, lb }
    }

    pub async fn delete(&self, f: &Fleet) {
        delete_load_balancer(f, &self.lb).await;
        self.network.delete(f).await;
    }
}

/// A frontend with a target group: what the listeners join.
pub struct Balanced {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
    pub tg: target_group::TargetGroupState,
}

impl Balanced {
    pub async fn create(f: &Fleet) -> Self {
        let Frontend { network, lb } = Frontend::create(f).await;
        let tg = target_group::TargetGroup
            .apply(&f.cx("TargetGroup"), &target_group_spec(f, &network.net))
            .await
            .unwrap();
        Self { network, lb, tg }
    }

    /// Deletes it all, once the listeners are gone.
    pub async fn delete(&self, f: &Fleet) {
        delete_load_balancer(f, &self.lb).await;
        delete_target_group(f, &self.tg).await;
        self.network.delete(f).await;
    }
}

/// A frontend with a cache policy: what a distribution fronts and caches with.
pub struct Origin {
    pub network: Network,
    pub lb: load_balancer::LoadBalancerState,
    pub policy: cache_policy::CachePolicyState,
}

impl Origin {
    pub async fn create(f: &Fleet) -> Self {
        let Frontend { network, lb } = Frontend::create(f).await;
        let cdn = &f.args.cdn;
        let policy = cache_policy::CachePolicy
            .apply(
                &f.cx("CachePolicy"),
                &cache_policy::Spec {
                    default_ttl: cdn.default_ttl,
                    min_ttl: cdn.min_ttl,
                    max_ttl: cdn.max_ttl,
                    query_strings: cdn.cache_query_strings,
                    cookies: cdn.forward_cookies,
                },
            )
            .await
            .unwrap();
        Self {
            network,
            lb,
            policy,
        }
    }

    /// A distribution's spec on it, from the fleet's inputs, with the secret header it sends the
    /// load balancer.
    pub fn spec(&self, f: &Fleet, secret: &str) -> distribution::Spec {
        distribution::Spec {
            load_balancer: self.lb.clone(),
            cache_policy: self.policy.clone(),
            origin_secret: secret.to_string(),
            http_port: f.args.listener_port,
            certificate_arn: f.args.cdn.certificate_arn.clone(),
            aliases: f.args.cdn.aliases.clone(),
        }
    }

    /// Deletes it all, once the distribution is gone.
    pub async fn delete(&self, f: &Fleet) {
        cache_policy::CachePolicy
            .delete(&f.cx("CachePolicy"), &self.policy)
            .await
            .unwrap();
        delete_load_balancer(f, &self.lb).await;
        self.network.delete(f).await;
    }
}

/// The role, instance profile and log group a launch template refers to.
pub struct Identity {
    pub role: RoleState,
    pub profile: instance_profile::InstanceProfileState,
    pub logs: log_group::LogGroupState,
}

impl Identity {
    pub async fn create(f: &Fleet) -> Self {
        let grants = instance_role::Spec {
            asset_bucket: "a".into(),
            source_bucket: "s".into(),
            artifact_bucket: "r".into(),
            log_group_arn: "arn:aws:logs:us-east-1:1:log-group:x".into(),
            parameter_path: "/ec2fleet/x/env".into(),
        };
        let role = instance_role::InstanceRole
            .apply(&f.cx("InstanceRole"), &grants)
            .await
            .unwrap();
        let profile = instance_profile::InstanceProfile
            .apply(
                &f.cx("InstanceProfile"),
                &instance_profile::Spec { role: role.clone() },
            )
            .await
            .unwrap();
        Self {
            profile,
            logs: log_group::LogGroup
                .apply(&f.cx("LogGroup"), &())
                .await
                .unwrap(),
            role,
        }
    }

    pub async fn delete(&self, f: &Fleet) {
        log_group::LogGroup
            .delete(&f.cx("LogGroup"), &self.logs)
            .await
            .unwrap();
        instance_profile::InstanceProfile
            .delete(&f.cx("InstanceProfile"), &self.profile)
            .await
            .unwrap();
        instance_role::InstanceRole
            .delete(&f.cx("InstanceRole"), &self.role)
            .await
            .unwrap();
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
    pub async fn create(f: &Fleet) -> Self {
        let network = Network::create(f).await;
        let sg = security_group::SecurityGroup
            .apply(
                &f.cx("InstanceSecurityGroup"),
                &instance_group_spec(f, &network.net, &network.lb_sg),
            )
            .await
            .unwrap();
        let identity = Identity::create(f).await;
        let image = ami::Ami
            .apply(
                &f.cx("Ami"),
                &ami::Spec {
                    image: f.args.ami.clone(),
                    instance_type: f.args.instance_type.clone(),
                },
            )
            .await
            .unwrap();
        let lt = launch_template::LaunchTemplate
            .apply(
                &f.cx("LaunchTemplate"),
                &launch_template_spec(f, image, &sg, &identity),
            )
            .await
            .unwrap();
        let tg = target_group::TargetGroup
            .apply(&f.cx("TargetGroup"), &target_group_spec(f, &network.net))
            .await
            .unwrap();
        Self {
            network,
            sg,
            identity,
            lt,
            tg,
        }
    }

    /// An Auto Scaling group's spec on them, with the sizes from the fleet's inputs (desired: the
    /// desired capacity, else the minimum), every one of them set.
    pub fn group_spec(&self, f: &Fleet) -> auto_scaling_group::Spec {
        auto_scaling_group::Spec {
            template: self.lt.clone(),
            subnets: self.network.subs.clone(),
            target_group: self.tg.clone(),
            sizes: f.args.capacity(),
            previous: None,
        }
    }

    /// Deletes them all, once the group is gone.
    pub async fn delete(&self, f: &Fleet) {
        delete_target_group(f, &self.tg).await;
        launch_template::LaunchTemplate
            .delete(&f.cx("LaunchTemplate"), &self.lt)
            .await
            .unwrap();
        self.identity.delete(f).await;
        security_group::SecurityGroup
            .delete(&f.cx("InstanceSecurityGroup"), &self.sg)
            .await
            .unwrap();
        self.network.delete(f).await;
    }
}

/// An Auto Scaling group made from the fleet's inputs, on everything it needs.
pub struct Group {
    pub inputs: GroupInputs,
    pub spec: auto_scaling_group::Spec,
    pub asg: auto_scaling_group::AutoScalingGroupState,
}

impl Group {
    pub async fn create(f: &Fleet) -> Self {
        let inputs = GroupInputs::create(f).await;
        let spec = inputs.group_spec(f);
        let asg = auto_scaling_group::AutoScalingGroup
            .apply(&f.cx("AutoScalingGroup"), &spec)
            .await
            .expect("create group");
        Self { inputs, spec, asg }
    }

    /// Deletes the group, then what it stood on.
    pub async fn delete(&self, f: &Fleet) {
        auto_scaling_group::AutoScalingGroup
            .delete(&f.cx("AutoScalingGroup"), &self.asg)
            .await
            .unwrap();
        self.inputs.delete(f).await;
    }
}

/// A deployment group on a real Auto Scaling group, with its application and role (the pipeline's
/// Deploy stage needs a group that exists).
pub struct Deployable {
    pub group: Group,
    pub cd_role: RoleState,
    pub app: codedeploy_application::ApplicationState,
    pub dg_spec: deployment_group::Spec,
    pub dg: deployment_group::DeploymentGroupState,
}

impl Deployable {
    pub async fn build(f: &Fleet) -> Self {
        let group = Group::create(f).await;
        let cd_role = codedeploy_role::CodeDeployRole
            .apply(&f.cx("CodeDeployRole"), &())
            .await
            .unwrap();
        let app = codedeploy_application::CodeDeployApplication
            .apply(&f.cx("CodeDeployApplication"), &())
            .await
            .expect("application");
        let dg_spec = deployment_group::Spec {
            application: app.clone(),
            role: cd_role.clone(),
            group: group.asg.clone(),
            target_group: group.inputs.tg.clone(),
            config: f.args.deployment_config.clone(),
        };
        let dg = deployment_group::DeploymentGroup
            .apply(&f.cx("DeploymentGroup"), &dg_spec)
            .await
            .expect("deployment group");
        Self {
            group,
            cd_role,
            app,
            dg_spec,
            dg,
        }
    }

    /// Deletes it all in dependency order; the CodeDeploy objects twice, and reads them back as gone.
    pub async fn delete(&self, f: &Fleet) {
        let (dg_cx, app_cx) = (f.cx("DeploymentGroup"), f.cx("CodeDeployApplication"));
        let dg = deployment_group::DeploymentGroup;
        dg.delete(&dg_cx, &self.dg).await.unwrap();
        dg.delete(&dg_cx, &self.dg)
            .await
            .expect("a second delete is done");
        assert_eq!(dg.read(&dg_cx, &self.dg).await.unwrap(), None);
        let app = codedeploy_application::CodeDeployApplication;
        app.delete(&app_cx, &self.app).await.unwrap();
        app.delete(&app_cx, &self.app)
            .await
            .expect("a second delete is done");
        assert_eq!(app.read(&app_cx, &self.app).await.unwrap(), None);
        codedeploy_role::CodeDeployRole
            .delete(&f.cx("CodeDeployRole"), &self.cd_role)
            .await
            .unwrap();
        self.group.delete(f).await;
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

/// An issued ACM certificate for `domain` in `account`, in us-east-1; its ARN.
pub fn certificate(account: &str, domain: &str) -> String {
    let arn = pending_certificate(account, domain, &[]);
    super::emulator().control_post(
        "/acm/validate",
        serde_json::json!({"account": account, "region": "us-east-1", "arn": arn}),
    );
    arn
}

/// A requested certificate for `domain` (and `more` names) whose validation is not done yet.
pub fn pending_certificate(account: &str, domain: &str, more: &[&str]) -> String {
    let mut request = serde_json::json!({"DomainName": domain, "ValidationMethod": "DNS"});
    if !more.is_empty() {
        request["SubjectAlternativeNames"] = serde_json::json!(more);
    }
    let requested = super::emulator().aws_json(
        account,
        "acm",
        "CertificateManager.RequestCertificate",
        request,
    );
    requested["CertificateArn"]
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
