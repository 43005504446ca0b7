//! The fleet as a dependency graph of sub-resources: which of the nodes ([`super::nodes`]) a fleet
//! with given inputs has, and which must exist before each can be made. Create walks it forwards,
//! Delete backwards ([`crate::graph`]).
//!
//! The edges are the real data dependencies and nothing more, so independent branches (IAM, buckets
//! and trail, network, load balancer, CDN) run together, and slow waits start as early as they can:
//! the distribution needs only the load balancer's DNS name, so it does not wait for the load balancer
//! to be active, let alone for the instances.

use std::collections::{BTreeMap, BTreeSet};

use super::nodes::Node;
use super::FleetArgs;

/// The node made after the fleet serves, not by the graph's walk: a release uploaded before the
/// group's instances are in service would start a deployment with no instances, or race the
/// instance refresh (CodeDeploy deploys new instances from the last successful release anyway).
pub const AFTER_READY: Node = Node::Release;

/// The fleet's sub-resources and what each needs first, for these inputs ([`AFTER_READY`] aside).
pub fn graph(args: &FleetArgs) -> Vec<(Node, Vec<Node>)> {
    let optional: &[Node] = match (args.cdn.enabled, args.dns.is_some()) {
        (true, true) => &[],
        (true, false) => &[Node::DnsRecord],
        (false, true) => &[Node::CachePolicy, Node::Distribution],
        (false, false) => &[Node::CachePolicy, Node::Distribution, Node::DnsRecord],
    };
    let edges = edges();
    let keep = edges
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !optional.contains(n) && *n != AFTER_READY)
        .filter(|n| *n != Node::Assets || args.assets.is_some())
        .filter(|n| *n != Node::Environment || !args.environment.is_empty())
        .collect();
    among(&edges, &keep)
}

/// Edges create needs but delete does not: the distribution takes the load balancer's DNS name to
/// be made, but CloudFront holds no reference AWS checks, so the load balancer and its network go
/// while the distribution is still disabling (minutes) instead of after it.
const NOT_AT_DELETE: &[(Node, Node)] = &[(Node::Distribution, Node::LoadBalancer)];

/// The graph a delete of just the nodes in `keep` (those a fleet recorded) walks backwards, without
/// the edges in [`NOT_AT_DELETE`]: a node's dependencies are its kept ones, and the kept ones reached
/// through nodes left out, so the order between the remaining nodes is never lost.
pub fn teardown(keep: &BTreeSet<Node>) -> Vec<(Node, Vec<Node>)> {
    let edges = edges()
        .into_iter()
        .map(|(n, deps)| {
            let deps = deps
                .into_iter()
                .filter(|d| !NOT_AT_DELETE.contains(&(n, *d)));
            (n, deps.collect())
        })
        .collect::<Vec<_>>();
    among(&edges, keep)
}

fn among(edges: &[(Node, Vec<Node>)], keep: &BTreeSet<Node>) -> Vec<(Node, Vec<Node>)> {
    let deps: BTreeMap<Node, &Vec<Node>> = edges.iter().map(|(n, d)| (*n, d)).collect();
    edges
        .iter()
        .filter(|(n, _)| keep.contains(n))
        .map(|(n, direct)| {
            let mut found = BTreeSet::new();
            let mut todo: Vec<Node> = direct.clone();
            while let Some(d) = todo.pop() {
                if keep.contains(&d) {
                    found.insert(d);
                } else {
                    todo.extend(
                        deps.get(&d)
                            .map(|v| v.iter().copied())
                            .into_iter()
                            .flatten(),
                    );
                }
            }
            (*n, found.into_iter().collect())
        })
        .collect()
}

/// Every node a fleet can have, with its direct dependencies (from [`super::nodes`]).
fn edges() -> Vec<(Node, Vec<Node>)> {
    Node::ALL.iter().map(|n| (*n, n.after().to_vec())).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Node::*;
    use super::*;
    use crate::graph::Queue;

    fn args(v: serde_json::Value) -> FleetArgs {
        crate::fleet::parse(v).unwrap()
    }

    fn queue(a: &FleetArgs) -> Queue<Node> {
        Queue::new(graph(a)).expect("the fleet graph must be acyclic and closed")
    }

    /// Nodes that `node` waits for, directly or not.
    fn ancestors(q: &Queue<Node>, node: Node) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::new();
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            for d in q.dependencies(&n) {
                if !out.contains(d) {
                    out.push(*d);
                    todo.push(*d);
                }
            }
        }
        out
    }

    #[test]
    fn independent_branches_start_together() {
        let ready = queue(&args(json!({}))).ready();
        for n in [
            Ami,
            Vpc,
            AssetBucket,
            SourceBucket,
            ArtifactBucket,
            LogGroup,
            CodeDeployApplication,
            CachePolicy,
        ] {
            assert!(ready.contains(&n), "{n} should start at once: {ready:?}");
        }
    }

    #[test]
    fn the_codedeploy_role_that_passes_the_instance_role_is_made_after_it() {
        let q = queue(&args(json!({})));
        assert!(ancestors(&q, CodeDeployRole).contains(&InstanceRole));
    }

    #[test]
    fn the_distribution_waits_only_for_the_load_balancer_not_its_listeners_or_instances() {
        let q = queue(&args(json!({})));
        let before = ancestors(&q, Distribution);
        assert!(before.contains(&LoadBalancer));
        for n in [Listeners, AutoScalingGroup, LaunchTemplate, InstanceRole] {
            assert!(!before.contains(&n), "distribution must not wait for {n}");
        }
    }

    #[test]
    fn optional_parts_follow_the_inputs() {
        let plain = graph(&args(json!({"cdn": {"enabled": false}})));
        assert!(!plain
            .iter()
            .any(|(n, _)| matches!(n, Distribution | CachePolicy | DnsRecord)));
        let dns = json!({"hostedZoneId": "Z1", "zoneName": "example.com"});
        let to_alb = graph(&args(json!({"cdn": {"enabled": false}, "dns": dns})));
        assert!(to_alb.contains(&(DnsRecord, vec![LoadBalancer])));
        let to_cdn = graph(&args(json!({"dns": dns})));
        assert!(to_cdn.contains(&(DnsRecord, vec![LoadBalancer, Distribution])));
        assert!(!plain.iter().any(|(n, _)| *n == Assets));
        let folder = json!({"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "path": "site"});
        let synced = graph(&args(json!({"assets": folder})));
        assert!(synced.contains(&(Assets, vec![AssetBucket])));
    }

    #[test]
    fn a_teardown_graph_keeps_order_through_the_nodes_left_out() {
        // Without the subnets and route table, the load balancer must still go before the VPC.
        let keep = [Vpc, LoadBalancer, Distribution, DnsRecord]
            .into_iter()
            .collect();
        let g = teardown(&keep);
        assert!(g.contains(&(LoadBalancer, vec![Vpc])), "{g:?}");
        assert!(g.contains(&(Distribution, vec![])), "{g:?}");
        assert!(
            g.contains(&(DnsRecord, vec![LoadBalancer, Distribution])),
            "{g:?}"
        );
        assert_eq!(g.len(), 4);
    }

    #[test]
    fn delete_order_honours_aws_rules_and_no_more() {
        let a = args(json!({"dns": {"hostedZoneId": "Z1", "zoneName": "example.com"}}));
        let keep = graph(&a).into_iter().map(|(n, _)| n).collect();
        let del = Queue::new(teardown(&keep)).unwrap().reversed();
        // In the reversed graph, a node's "dependencies" are what must be gone before it is deleted.
        let gone_before = |n: Node| ancestors(&del, n);
        let rules = [
            (Subnets, LoadBalancer),
            (LoadBalancerSecurityGroup, LoadBalancer),
            (InstanceSecurityGroup, AutoScalingGroup),
            (InternetGateway, RouteTable),
            (Vpc, InternetGateway),
            (SourceBucket, Trail),
            (InstanceRole, InstanceProfile),
            (CodeDeployApplication, DeploymentGroup),
            (LaunchTemplate, AutoScalingGroup),
            (Distribution, DnsRecord),
        ];
        for (later, first) in rules {
            assert!(
                gone_before(later).contains(&first),
                "{first} must be deleted before {later}"
            );
        }
        assert!(
            !gone_before(LoadBalancer).contains(&Distribution),
            "the load balancer goes while the distribution disables"
        );
    }
}
