//! A pure dependency queue: which nodes may start now, given which have finished. No I/O, no clocks, so
//! every ordering rule is tested directly (after cargo's `DependencyQueue`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

/// A graph that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A node depends on a node that is not in the graph.
    #[error("node {node} depends on {missing}, which is not in the graph")]
    UnknownDependency {
        /// The dependent node.
        node: String,
        /// The dependency that does not exist.
        missing: String,
    },
    /// The dependencies form a cycle, so none of these nodes could ever start.
    #[error("dependency cycle among {0:?}")]
    Cycle(Vec<String>),
}

/// Where each node stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
}

/// The ready-queue over nodes `K`.
#[derive(Debug, Clone)]
pub struct Queue<K: Ord + Clone + Debug> {
    deps: BTreeMap<K, BTreeSet<K>>,
    state: BTreeMap<K, State>,
}

impl<K: Ord + Clone + Debug> Queue<K> {
    /// Builds the queue from each node and the nodes it depends on; refuses unknown dependencies and
    /// cycles.
    pub fn new(nodes: impl IntoIterator<Item = (K, Vec<K>)>) -> Result<Self, GraphError> {
        let deps: BTreeMap<K, BTreeSet<K>> = nodes
            .into_iter()
            .map(|(k, d)| (k, d.into_iter().collect()))
            .collect();
        for (node, ds) in &deps {
            if let Some(missing) = ds.iter().find(|d| !deps.contains_key(*d)) {
                return Err(GraphError::UnknownDependency {
                    node: format!("{node:?}"),
                    missing: format!("{missing:?}"),
                });
            }
        }
        let state = deps.keys().map(|k| (k.clone(), State::Waiting)).collect();
        let q = Self { deps, state };
        q.check_acyclic()?;
        Ok(q)
    }

    /// Kahn's algorithm: whatever cannot be ordered is on a cycle.
    fn check_acyclic(&self) -> Result<(), GraphError> {
        let mut left: BTreeMap<&K, usize> = self.deps.iter().map(|(k, d)| (k, d.len())).collect();
        let mut free: Vec<&K> = left
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(k, _)| *k)
            .collect();
        while let Some(k) = free.pop() {
            left.remove(k);
            for (other, ds) in &self.deps {
                if ds.contains(k) {
                    if let Some(n) = left.get_mut(other) {
                        *n -= 1;
                        if *n == 0 {
                            free.push(other);
                        }
                    }
                }
            }
        }
        if left.is_empty() {
            Ok(())
        } else {
            Err(GraphError::Cycle(
                left.keys().map(|k| format!("{k:?}")).collect(),
            ))
        }
    }

    /// The same nodes with every edge reversed: the order to delete in.
    pub fn reversed(&self) -> Self {
        let mut deps: BTreeMap<K, BTreeSet<K>> = self
            .deps
            .keys()
            .map(|k| (k.clone(), BTreeSet::new()))
            .collect();
        for (node, ds) in &self.deps {
            for d in ds {
                deps.entry(d.clone()).or_default().insert(node.clone());
            }
        }
        let state = deps.keys().map(|k| (k.clone(), State::Waiting)).collect();
        Self { deps, state }
    }

    /// Whether `k` is a node of this graph.
    pub fn contains(&self, k: &K) -> bool {
        self.deps.contains_key(k)
    }

    /// Marks nodes finished before the run (resumed from recorded state); their dependents may start.
    pub fn mark_done(&mut self, done: impl IntoIterator<Item = K>) {
        for k in done {
            if let Some(s) = self.state.get_mut(&k) {
                *s = State::Done;
            }
        }
    }

    /// Nodes that may start now: waiting, with every dependency done.
    pub fn ready(&self) -> Vec<K> {
        self.deps
            .iter()
            .filter(|(k, ds)| {
                self.state[*k] == State::Waiting && ds.iter().all(|d| self.state[d] == State::Done)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Records that a node started.
    pub fn start(&mut self, k: &K) {
        self.set(k, State::Running);
    }

    /// Records that a node finished successfully.
    pub fn finish(&mut self, k: &K) {
        self.set(k, State::Done);
    }

    /// Records that a node failed.
    pub fn fail(&mut self, k: &K) {
        self.set(k, State::Failed);
    }

    fn set(&mut self, k: &K, s: State) {
        if let Some(slot) = self.state.get_mut(k) {
            *slot = s;
        }
    }

    /// Whether any node is running.
    pub fn any_running(&self) -> bool {
        self.state.values().any(|s| *s == State::Running)
    }

    /// Nodes that never started.
    pub fn waiting(&self) -> Vec<K> {
        self.state
            .iter()
            .filter(|(_, s)| **s == State::Waiting)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The nodes a node depends on directly.
    pub fn dependencies(&self, k: &K) -> impl Iterator<Item = &K> {
        self.deps.get(k).into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(edges: &[(&'static str, &[&'static str])]) -> Result<Queue<&'static str>, GraphError> {
        Queue::new(edges.iter().map(|(k, d)| (*k, d.to_vec())))
    }

    #[test]
    fn nodes_without_dependencies_are_ready_at_once() {
        let q = q(&[("vpc", &[]), ("role", &[]), ("subnets", &["vpc"])]).unwrap();
        assert_eq!(q.ready(), vec!["role", "vpc"]);
    }

    #[test]
    fn a_node_is_ready_when_all_its_dependencies_are_done() {
        let mut q = q(&[
            ("vpc", &[]),
            ("sg", &["vpc"]),
            ("lt", &["sg", "role"]),
            ("role", &[]),
        ])
        .unwrap();
        q.start(&"vpc");
        q.start(&"role");
        q.finish(&"vpc");
        assert_eq!(q.ready(), vec!["sg"], "lt still needs role");
        q.finish(&"role");
        q.start(&"sg");
        q.finish(&"sg");
        assert_eq!(q.ready(), vec!["lt"]);
    }

    #[test]
    fn dependents_of_a_failed_node_never_become_ready() {
        let mut q = q(&[("vpc", &[]), ("sg", &["vpc"])]).unwrap();
        q.start(&"vpc");
        q.fail(&"vpc");
        assert!(q.ready().is_empty());
        assert_eq!(q.waiting(), vec!["sg"]);
    }

    #[test]
    fn resumed_nodes_count_as_done() {
        let mut q = q(&[("vpc", &[]), ("sg", &["vpc"])]).unwrap();
        q.mark_done(["vpc"]);
        assert_eq!(q.ready(), vec!["sg"]);
    }

    #[test]
    fn reversed_runs_dependents_first() {
        let r = q(&[("vpc", &[]), ("sg", &["vpc"]), ("lt", &["sg"])])
            .unwrap()
            .reversed();
        assert_eq!(r.ready(), vec!["lt"]);
        assert_eq!(r.dependencies(&"vpc").collect::<Vec<_>>(), vec![&"sg"]);
    }

    #[test]
    fn bad_graphs_are_refused() {
        assert!(matches!(
            q(&[("a", &["ghost"])]),
            Err(GraphError::UnknownDependency { .. })
        ));
        let err = q(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]).unwrap_err();
        assert_eq!(err, GraphError::Cycle(vec!["\"a\"".into(), "\"b\"".into()]));
    }
}
