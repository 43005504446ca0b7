//! DNS sub-resources against the AWS emulator: the Route 53 alias records, in a hosted zone each test
//! makes and deletes itself.

mod support;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use ec2fleet::resources::cdn::distribution::{self, Distribution};
use ec2fleet::resources::dns::record::{self, Dns, DnsRecord, DnsRecordState, Target};
use ec2fleet::resources::lb::load_balancer;
use ec2fleet::resources::Reconciler;
use support::stacks::{self, Frontend, Origin};

/// A public hosted zone `example-<account>.com`: its ID (as a user gives it) and name.
async fn zone(f: &support::Fleet) -> (String, String) {
    let name = format!("example-{}.com", f.account);
    (stacks::hosted_zone(&f.aws, &name, &name).await, name)
}

/// The zone's records other than its own NS and SOA.
async fn records(f: &support::Fleet, zone: &str) -> Vec<ResourceRecordSet> {
    let out = f
        .aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    out.resource_record_sets()
        .iter()
        .filter(|r| ![RrType::Ns, RrType::Soa].contains(r.r#type()))
        .cloned()
        .collect()
}

/// (name, type, alias DNS name, alias zone, evaluate target health) of each alias record.
fn aliases(sets: &[ResourceRecordSet]) -> Vec<(String, String, String, String, bool)> {
    sets.iter()
        .map(|r| {
            let t = r.alias_target().expect("an alias");
            (
                r.name().trim_end_matches('.').to_string(),
                r.r#type().as_str().to_string(),
                t.dns_name().trim_end_matches('.').to_string(),
                t.hosted_zone_id().to_string(),
                t.evaluate_target_health(),
            )
        })
        .collect()
}

/// Writes a plain A record, as someone other than the fleet would; `action` DELETE removes it again.
async fn plain_a(f: &support::Fleet, zone: &str, name: &str, action: ChangeAction) {
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value("192.0.2.10")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let change = Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .unwrap();
    f.aws
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
}

/// The records' spec: `dns`, pointing at `target`.
fn spec(dns: &Dns, target: Target) -> record::Spec {
    record::Spec {
        dns: dns.clone(),
        target,
    }
}

#[tokio::test]
async fn the_name_aliases_the_distribution_over_ipv4_and_ipv6_and_delete_removes_both_records() {
    let f = support::Fleet::new("web-d25d25d", serde_json::json!({})).await;
    let (cx, cdn_cx) = (f.cx("DnsRecord"), f.cx("Distribution"));
    let o = Origin::create(&f).await;
    let cdn = Distribution
        .apply(&cdn_cx, &o.spec(&f, "s3cr3t"))
        .await
        .unwrap();
    let (zone_id, zone_name) = zone(&f).await;
    let www = format!("www.{zone_name}");
    let dns = Dns {
        hosted_zone_id: zone_id.clone(),
        zone_name: Some(zone_name.clone()),
        record_name: Some(www.clone()),
    };

    let made = DnsRecord
        .apply(&cx, &spec(&dns, Target::Distribution(cdn.clone())))
        .await
        .expect("create");
    assert_eq!(
        made,
        DnsRecordState {
            hosted_zone_id: zone_id.clone(),
            name: format!("{www}."),
            types: vec!["A".into(), "AAAA".into()],
        }
    );
    let want = |ty: &str| {
        (
            www.clone(),
            ty.to_string(),
            cdn.domain_name.clone(),
            distribution::HOSTED_ZONE_ID.to_string(),
            false,
        )
    };
    assert_eq!(
        aliases(&records(&f, &zone_id).await),
        [want("A"), want("AAAA")]
    );
    assert_eq!(
        DnsRecord
            .apply(&cx, &spec(&dns, Target::Distribution(cdn.clone())))
            .await
            .expect("a second run finds its own aliases and leaves them"),
        made
    );
    assert_eq!(
        aliases(&records(&f, &zone_id).await),
        [want("A"), want("AAAA")]
    );
    assert_eq!(
        DnsRecord.read(&cx, &made).await.unwrap(),
        Some(made.clone())
    );
    let changes = support::emulator()
        .calls(&f.account)
        .iter()
        .filter(|c| c["operation"] == "ChangeResourceRecordSets" || c["operation"] == "GetChange")
        .count();
    assert_eq!(
        changes, 2,
        "the one change is followed by a wait for INSYNC; the second run changes nothing"
    );

    DnsRecord.delete(&cx, &made).await.expect("delete");
    assert_eq!(records(&f, &zone_id).await, []);
    assert_eq!(DnsRecord.read(&cx, &made).await.unwrap(), None);
    DnsRecord
        .delete(&cx, &made)
        .await
        .expect("a second delete is done");

    stacks::delete_hosted_zone(&f.aws, &zone_id).await;
    Distribution.delete(&cdn_cx, &cdn).await.unwrap();
    o.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn without_the_cdn_the_apex_aliases_the_load_balancer_and_someone_elses_record_is_left_alone()
{
    let f = support::Fleet::new(
        "web-a1b2c3d",
        serde_json::json!({"cdn": {"enabled": false}}),
    )
    .await;
    let cx = f.cx("DnsRecord");
    let s = Frontend::create(&f).await;
    let (zone_id, zone_name) = zone(&f).await;
    let www = format!("www.{zone_name}");
    plain_a(&f, &zone_id, &www, ChangeAction::Create).await;
    let before = records(&f, &zone_id).await;

    let taken = Dns {
        hosted_zone_id: zone_id.clone(),
        zone_name: Some(zone_name.clone()),
        record_name: Some(www.clone()),
    };
    let err = DnsRecord
        .apply(&cx, &spec(&taken, Target::LoadBalancer(s.lb.clone())))
        .await
        .expect_err("someone else's record");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("already has a A record {www}."))
            && msg.contains("points elsewhere (192.0.2.10)")
            && msg.contains("choose another dns.recordName"),
        "{msg}"
    );
    assert_eq!(records(&f, &zone_id).await, before, "left as it was");

    let apex = Dns {
        hosted_zone_id: zone_id.clone(),
        zone_name: Some(zone_name.clone()),
        record_name: None,
    };
    let made = DnsRecord
        .apply(&cx, &spec(&apex, Target::LoadBalancer(s.lb.clone())))
        .await
        .expect("create at the apex");
    assert_eq!(
        (made.name.as_str(), made.types.as_slice()),
        (format!("{zone_name}.").as_str(), &["A".to_string()][..])
    );
    let apex_aliases: Vec<_> = records(&f, &zone_id)
        .await
        .into_iter()
        .filter(|r| r.alias_target().is_some())
        .collect();
    assert_eq!(
        aliases(&apex_aliases),
        [(
            zone_name.clone(),
            "A".to_string(),
            format!("dualstack.{}", s.lb.dns_name),
            s.lb.canonical_hosted_zone_id.clone(),
            true
        )],
        "IPv4 only, to the load balancer, with its health"
    );

    DnsRecord.delete(&cx, &made).await.expect("delete");
    assert_eq!(
        records(&f, &zone_id).await,
        before,
        "only the fleet's record went"
    );
    DnsRecord
        .delete(&cx, &made)
        .await
        .expect("a second delete is done");

    plain_a(&f, &zone_id, &www, ChangeAction::Delete).await;
    stacks::delete_hosted_zone(&f.aws, &zone_id).await;
    s.delete(&f).await;
    f.assert_no_leaks();
}

#[tokio::test]
async fn a_record_without_a_name_is_refused_before_any_call() {
    let f = support::Fleet::new("web-0a0a0a0", serde_json::json!({})).await;
    let cx = f.cx("DnsRecord");
    let lb = load_balancer::LoadBalancerState {
        arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1".into(),
        name: "x".into(),
        dns_name: "x-1.us-east-1.elb.amazonaws.com".into(),
        canonical_hosted_zone_id: "Z35SXDOTRQ7X7K".into(),
    };
    let nameless = Dns {
        hosted_zone_id: "Z0123456789ABCDEFGHIJ".into(),
        zone_name: None,
        record_name: None,
    };
    let err = DnsRecord
        .apply(&cx, &spec(&nameless, Target::LoadBalancer(lb)))
        .await
        .expect_err("no name");
    assert!(
        err.to_string()
            .contains("set dns.recordName, or dns.zoneName for the zone apex"),
        "{err}"
    );
    assert_eq!(
        support::emulator().calls(&f.account),
        Vec::<serde_json::Value>::new()
    );
}
