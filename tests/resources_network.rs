//! Network sub-resources against the AWS emulator: created with the fleet's tags, adopted instead of
//! duplicated, read back, deleted idempotently.

mod support;

use std::collections::BTreeMap;

use ec2fleet::aws::error::ErrorClass;
use ec2fleet::resources::network::internet_gateway::{self, InternetGateway};
use ec2fleet::resources::network::load_balancer_security_group;
use ec2fleet::resources::network::route_table::{self, RouteTable};
use ec2fleet::resources::network::security_group::{self, SecurityGroup};
use ec2fleet::resources::network::subnets::Subnets;
use ec2fleet::resources::network::vpc::Vpc;
use ec2fleet::resources::{Reconciler, TAG_FLEET};
use support::stacks::{instance_group_spec, lb_group_spec, subnets_spec, vpc_spec};

/// Inputs with a non-default CIDR and a user tag, so both are seen on the objects.
fn inputs() -> serde_json::Value {
    serde_json::json!({"vpcCidr": "10.20.0.0/16", "tags": {"team": "blue"}})
}

#[tokio::test]
async fn vpc_is_created_tagged_adopted_not_duplicated_and_deleted_idempotently() {
    let f = support::Fleet::new("web-1a2b3c4", inputs()).await;
    let (cx, aws) = (f.cx("Vpc"), &f.aws);
    let spec = vpc_spec(&f);

    let made = Vpc.apply(&cx, &spec).await.expect("create");
    assert_eq!(made.cidr, "10.20.0.0/16");
    let described = aws
        .ec2
        .describe_vpcs()
        .vpc_ids(&made.vpc_id)
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<_, _> = described.vpcs()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert_eq!(tags[TAG_FLEET], "web-1a2b3c4");
    assert_eq!(tags["team"], "blue");
    assert_eq!(tags["Name"], "web-1a2b3c4-vpc");

    // A second create (a lost response, a retried `pulumi up`) adopts the same VPC.
    let again = Vpc.apply(&cx, &spec).await.expect("create again");
    assert_eq!(again, made);
    let all = aws.ec2.describe_vpcs().send().await.unwrap();
    assert_eq!(
        all.vpcs()
            .iter()
            .filter(|v| !v.is_default().unwrap_or(false))
            .count(),
        1,
        "no duplicate VPC"
    );
    assert_eq!(
        Vpc.discover(&cx, &()).await.unwrap(),
        Some(made.clone()),
        "the VPC is found again by its identity alone"
    );

    assert_eq!(Vpc.read(&cx, &made).await.unwrap(), Some(made.clone()));
    Vpc.delete(&cx, &made).await.expect("delete");
    Vpc.delete(&cx, &made)
        .await
        .expect("a second delete is done, not an error");
    assert_eq!(
        Vpc.read(&cx, &made).await.unwrap(),
        None,
        "read reports a deleted VPC as gone"
    );
}

#[tokio::test]
async fn subnets_span_the_regions_first_three_zones_with_public_ips_and_are_adopted() {
    let f = support::Fleet::new("web-5d6e7f8", inputs()).await;
    let (cx, aws) = (f.cx("Subnets"), &f.aws);
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();
    let spec = subnets_spec(&f, &net);
    assert_eq!(spec.zones, None, "no zones given: the region's first three");

    let made = Subnets.apply(&cx, &spec).await.expect("create subnets");
    assert_eq!(
        made.availability_zones,
        vec!["us-east-1a", "us-east-1b", "us-east-1c"]
    );
    assert_eq!(
        made.cidrs,
        vec!["10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"]
    );
    let live = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(made.subnet_ids.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(live.subnets().len(), 3);
    assert!(live
        .subnets()
        .iter()
        .all(|s| s.map_public_ip_on_launch() == Some(true)
            && s.vpc_id() == Some(net.vpc_id.as_str())));

    assert_eq!(
        Subnets.apply(&cx, &spec).await.unwrap(),
        made,
        "a second create adopts all three"
    );
    assert_eq!(Subnets.read(&cx, &made).await.unwrap(), Some(made.clone()));

    Subnets.delete(&cx, &made).await.unwrap();
    Subnets
        .delete(&cx, &made)
        .await
        .expect("deleting again is done");
    assert_eq!(Subnets.read(&cx, &made).await.unwrap(), None);
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}

/// trn1.32xlarge is offered in us-east-1b, c and f only (moto's offering data, taken from AWS):
/// the default zones are the first three that can run the fleet's instances, not us-east-1a.
#[tokio::test]
async fn default_zones_are_ones_that_offer_the_instance_type() {
    let f = support::Fleet::new(
        "web-7a1b2c3",
        serde_json::json!({"vpcCidr": "10.21.0.0/16", "instanceType": "trn1.32xlarge"}),
    )
    .await;
    let cx = f.cx("Subnets");
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();
    let made = Subnets
        .apply(&cx, &subnets_spec(&f, &net))
        .await
        .expect("create subnets");
    assert_eq!(
        made.availability_zones,
        vec!["us-east-1b", "us-east-1c", "us-east-1f"]
    );
    Subnets.delete(&cx, &made).await.unwrap();
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn the_whole_network_is_routed_to_the_internet_adopted_and_torn_down_in_aws_order() {
    let f = support::Fleet::new("web-0a0b0c0", inputs()).await;
    let aws = &f.aws;
    let (vpc_cx, subnets_cx) = (f.cx("Vpc"), f.cx("Subnets"));
    let (igw_cx, rt_cx) = (f.cx("InternetGateway"), f.cx("RouteTable"));

    let net = Vpc.apply(&vpc_cx, &vpc_spec(&f)).await.unwrap();
    let subs = Subnets
        .apply(&subnets_cx, &subnets_spec(&f, &net))
        .await
        .unwrap();
    let igw_spec = internet_gateway::Spec { vpc: net.clone() };
    let igw = InternetGateway.apply(&igw_cx, &igw_spec).await.unwrap();
    let rt_spec = route_table::Spec {
        vpc: net.clone(),
        gateway: igw.clone(),
        subnets: subs.clone(),
    };
    let rt = RouteTable.apply(&rt_cx, &rt_spec).await.unwrap();
    assert_eq!(rt.association_ids.len(), 3);
    let table = &aws
        .ec2
        .describe_route_tables()
        .route_table_ids(&rt.route_table_id)
        .send()
        .await
        .unwrap()
        .route_tables()[0]
        .clone();
    let default = table
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .expect("a default route");
    assert_eq!(default.gateway_id(), Some(igw.internet_gateway_id.as_str()));

    // Running the create again (a resumed `pulumi up`) changes nothing and duplicates nothing.
    assert_eq!(
        InternetGateway.apply(&igw_cx, &igw_spec).await.unwrap(),
        igw
    );
    assert_eq!(RouteTable.apply(&rt_cx, &rt_spec).await.unwrap(), rt);
    assert_eq!(
        InternetGateway.read(&igw_cx, &igw).await.unwrap(),
        Some(igw.clone())
    );
    assert_eq!(
        RouteTable.read(&rt_cx, &rt).await.unwrap(),
        Some(rt.clone())
    );

    // The emulator refuses what AWS refuses: the VPC cannot go while its gateway is attached.
    let early = Vpc
        .delete(&vpc_cx, &net)
        .await
        .expect_err("deleting the VPC first must fail");
    assert_eq!(early.class(), ErrorClass::DependencyViolation, "{early}");

    RouteTable.delete(&rt_cx, &rt).await.unwrap();
    InternetGateway.delete(&igw_cx, &igw).await.unwrap();
    InternetGateway
        .delete(&igw_cx, &igw)
        .await
        .expect("a second delete is done");
    Subnets.delete(&subnets_cx, &subs).await.unwrap();
    Vpc.delete(&vpc_cx, &net).await.unwrap();
    assert_eq!(RouteTable.read(&rt_cx, &rt).await.unwrap(), None);
    assert_eq!(InternetGateway.read(&igw_cx, &igw).await.unwrap(), None);
    f.assert_no_leaks();
}

#[tokio::test]
async fn security_groups_admit_only_cloudfront_and_the_load_balancer_and_no_ssh_by_default() {
    let f = support::Fleet::new("web-5ec5ec5", inputs()).await;
    let aws = &f.aws;
    let (lb_cx, inst_cx) = (
        f.cx("LoadBalancerSecurityGroup"),
        f.cx("InstanceSecurityGroup"),
    );
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();

    let lb_spec = lb_group_spec(&f, &net);
    let lb = SecurityGroup.apply(&lb_cx, &lb_spec).await.unwrap();
    let inst_spec = instance_group_spec(&f, &net, &lb);
    let inst = SecurityGroup.apply(&inst_cx, &inst_spec).await.unwrap();
    let lb_rules = security_group::rules(&lb_cx, &lb)
        .await
        .unwrap()
        .expect("load balancer group exists");
    assert_eq!(lb_rules.len(), 1);
    assert_eq!(lb_rules[0].from_port(), Some(80));
    assert!(
        lb_rules[0].ip_ranges().is_empty(),
        "the load balancer must not be open to the internet behind CloudFront"
    );
    let cloudfront = aws
        .ec2
        .describe_managed_prefix_lists()
        .send()
        .await
        .unwrap();
    let cf_id = cloudfront
        .prefix_lists()
        .iter()
        .find(|p| {
            p.prefix_list_name() == Some(load_balancer_security_group::CLOUDFRONT_PREFIX_LIST)
        })
        .and_then(|p| p.prefix_list_id())
        .unwrap();
    assert_eq!(
        lb_rules[0].prefix_list_ids()[0].prefix_list_id(),
        Some(cf_id)
    );

    let inst_rules = security_group::rules(&inst_cx, &inst)
        .await
        .unwrap()
        .expect("instance group exists");
    assert_eq!(
        inst_rules.len(),
        1,
        "only the app port: no SSH rule by default: {inst_rules:?}"
    );
    assert_eq!(inst_rules[0].from_port(), Some(3000));
    assert_eq!(
        inst_rules[0].user_id_group_pairs()[0].group_id(),
        Some(lb.group_id.as_str())
    );

    // Adopting reuses both groups; granting existing rules again is not an error.
    assert_eq!(SecurityGroup.apply(&lb_cx, &lb_spec).await.unwrap(), lb);
    assert_eq!(
        SecurityGroup.apply(&inst_cx, &inst_spec).await.unwrap(),
        inst
    );
    // Each group is found again by its own node's identity, and both are read in one go.
    assert_eq!(
        SecurityGroup.discover(&lb_cx, &()).await.unwrap(),
        Some(lb.clone())
    );
    assert_eq!(
        SecurityGroup.discover(&inst_cx, &()).await.unwrap(),
        Some(inst.clone())
    );
    assert_eq!(
        SecurityGroup
            .read_many(&lb_cx, &[&inst, &lb])
            .await
            .unwrap(),
        vec![Some(inst.clone()), Some(lb.clone())]
    );

    let early = SecurityGroup
        .delete(&lb_cx, &lb)
        .await
        .expect_err("the instances' group still refers to it");
    assert_eq!(early.class(), ErrorClass::DependencyViolation, "{early}");
    SecurityGroup.delete(&inst_cx, &inst).await.unwrap();
    SecurityGroup.delete(&lb_cx, &lb).await.unwrap();
    SecurityGroup
        .delete(&lb_cx, &lb)
        .await
        .expect("a second delete is done");
    assert_eq!(
        SecurityGroup
            .read_many(&lb_cx, &[&inst, &lb])
            .await
            .unwrap(),
        vec![None, None]
    );
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn ssh_opens_only_to_the_given_ranges() {
    let f = support::Fleet::new(
        "web-55a55a5",
        serde_json::json!({"sshIngressCidrs": ["203.0.113.0/24"], "cdn": {"enabled": false}}),
    )
    .await;
    let (lb_cx, inst_cx) = (
        f.cx("LoadBalancerSecurityGroup"),
        f.cx("InstanceSecurityGroup"),
    );
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();
    let lb = SecurityGroup
        .apply(&lb_cx, &lb_group_spec(&f, &net))
        .await
        .unwrap();
    let inst = SecurityGroup
        .apply(&inst_cx, &instance_group_spec(&f, &net, &lb))
        .await
        .unwrap();
    let ssh: Vec<_> = security_group::rules(&inst_cx, &inst)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .filter(|r| r.from_port() == Some(22))
        .collect();
    assert_eq!(ssh.len(), 1);
    let cidrs: Vec<_> = ssh[0]
        .ip_ranges()
        .iter()
        .filter_map(|r| r.cidr_ip())
        .collect();
    assert_eq!(cidrs, vec!["203.0.113.0/24"]);
    SecurityGroup.delete(&inst_cx, &inst).await.unwrap();
    SecurityGroup.delete(&lb_cx, &lb).await.unwrap();
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn without_a_cdn_the_load_balancer_is_public() {
    let f = support::Fleet::new(
        "web-0cd0cd0",
        serde_json::json!({"cdn": {"enabled": false}}),
    )
    .await;
    let lb_cx = f.cx("LoadBalancerSecurityGroup");
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();
    let lb = SecurityGroup
        .apply(&lb_cx, &lb_group_spec(&f, &net))
        .await
        .unwrap();
    let lb_rules = security_group::rules(&lb_cx, &lb).await.unwrap().unwrap();
    assert_eq!(lb_rules[0].ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
    SecurityGroup.delete(&lb_cx, &lb).await.unwrap();
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}

#[tokio::test]
async fn behind_the_cdn_a_new_listener_port_replaces_the_old_within_the_rule_quota() {
    let f = support::Fleet::new("web-9o79o7a", inputs()).await;
    let lb_cx = f.cx("LoadBalancerSecurityGroup");
    let net = Vpc.apply(&f.cx("Vpc"), &vpc_spec(&f)).await.unwrap();
    let mut spec = lb_group_spec(&f, &net);
    let lb = SecurityGroup.apply(&lb_cx, &spec).await.unwrap();
    // CloudFront's prefix list weighs 55 of the group's 60 rules: the rules for port 80 and for
    // 8080 do not fit together, so the old one has to go before the new one is granted.
    let security_group::Spec::LoadBalancer(s) = &mut spec else {
        unreachable!("the load balancer's spec")
    };
    s.ports = vec![8080];
    assert_eq!(SecurityGroup.apply(&lb_cx, &spec).await.expect("move"), lb);
    let rules = security_group::rules(&lb_cx, &lb).await.unwrap().unwrap();
    let ports: Vec<_> = rules
        .iter()
        .map(|r| (r.from_port(), r.prefix_list_ids().len()))
        .collect();
    assert_eq!(ports, [(Some(8080), 1)]);
    SecurityGroup.delete(&lb_cx, &lb).await.unwrap();
    Vpc.delete(&f.cx("Vpc"), &net).await.unwrap();
    f.assert_no_leaks();
}
