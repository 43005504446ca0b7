//! The async executor over a [`Queue`]: every ready node starts at once (up to a limit); on the first
//! failure or on cancel nothing new starts, but running nodes finish and every outcome is recorded, so
//! the caller can hand the engine exactly what exists (cargo's job queue rule: drain, never abandon).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use tokio::sync::watch;

use super::queue::Queue;
use crate::panic::Panicked;

/// What a run achieved.
#[derive(Debug)]
pub struct Outcome<K, V, E> {
    /// Every node's value: those finished before the run (resumed) and those finished in it.
    pub done: BTreeMap<K, V>,
    /// Nodes that failed, with their errors, in the order they failed.
    pub failed: Vec<(K, E)>,
    /// Nodes that never started (after a failure, a cancel, or because a dependency failed).
    pub not_started: Vec<K>,
    /// Whether a cancel stopped the run.
    pub cancelled: bool,
}

impl<K, V, E> Outcome<K, V, E> {
    /// Whether every node finished.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.not_started.is_empty()
    }
}

/// Runs `work` for every node of `queue` not already in `done`, passing each the values of its direct
/// dependencies. At most `limit` nodes run at once. A node whose work panics fails with
/// [`Panicked`], like any other failure: the run still drains and reports what was made.
pub async fn run<K, V, E, F, Fut>(
    mut queue: Queue<K>,
    done: BTreeMap<K, V>,
    limit: usize,
    mut cancel: watch::Receiver<bool>,
    mut work: F,
) -> Outcome<K, V, E>
where
    K: Ord + Clone + Debug,
    V: Clone,
    E: From<Panicked>,
    F: FnMut(K, BTreeMap<K, V>) -> Fut,
    Fut: Future<Output = Result<V, E>>,
{
    queue.mark_done(done.keys().cloned());
    let mut out = Outcome {
        done,
        failed: Vec::new(),
        not_started: Vec::new(),
        cancelled: false,
    };
    let mut running = FuturesUnordered::new();
    let mut cancel_open = true;
    loop {
        out.cancelled |= *cancel.borrow();
        let stopping = out.cancelled || !out.failed.is_empty();
        if !stopping {
            for k in queue
                .ready()
                .into_iter()
                .take(limit.max(1).saturating_sub(running.len()))
            {
                queue.start(&k);
                let inputs = queue
                    .dependencies(&k)
                    .filter_map(|d| out.done.get(d).map(|v| (d.clone(), v.clone())))
                    .collect();
                let fut = work(k.clone(), inputs);
                running.push(async move {
                    let result = AssertUnwindSafe(fut).catch_unwind().await;
                    let result = result.unwrap_or_else(|p| Err(Panicked::from_payload(&*p).into()));
                    (k, result)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((k, result)) = running.next() => match result {
                Ok(v) => {
                    queue.finish(&k);
                    out.done.insert(k, v);
                }
                Err(e) => {
                    queue.fail(&k);
                    out.failed.push((k, e));
                }
            },
            changed = cancel.changed(), if cancel_open && !stopping => {
                // A dropped sender can never cancel; stop listening to it.
                cancel_open = changed.is_ok();
            }
        }
    }
    out.not_started = queue.waiting();
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use super::*;

    /// A fake node: how long it takes and whether it fails (or panics).
    #[derive(Clone, Copy)]
    struct Fake {
        ms: u64,
        fails: bool,
        panics: bool,
    }

    impl From<Panicked> for String {
        fn from(p: Panicked) -> Self {
            format!("panicked: {}", p.0)
        }
    }

    /// Records when each node started and how many ran at once.
    #[derive(Default)]
    struct Trace {
        started: Vec<(&'static str, Duration)>,
        now: usize,
        peak: usize,
    }

    type Graph = Vec<(&'static str, Vec<&'static str>, Fake)>;

    async fn run_fakes(
        graph: Graph,
        limit: usize,
        done: BTreeMap<&'static str, String>,
        cancel: watch::Receiver<bool>,
    ) -> (Outcome<&'static str, String, String>, Arc<Mutex<Trace>>) {
        let queue = Queue::new(graph.iter().map(|(k, d, _)| (*k, d.clone()))).unwrap();
        let fakes: BTreeMap<_, _> = graph.iter().map(|(k, _, f)| (*k, *f)).collect();
        let trace = Arc::new(Mutex::new(Trace::default()));
        let t0 = Instant::now();
        let out = run(
            queue,
            done,
            limit,
            cancel,
            |k, inputs: BTreeMap<&'static str, String>| {
                let f = fakes[k];
                let trace = trace.clone();
                async move {
                    {
                        let mut t = trace.lock().unwrap();
                        t.started.push((k, t0.elapsed()));
                        t.now += 1;
                        t.peak = t.peak.max(t.now);
                    }
                    tokio::time::sleep(Duration::from_millis(f.ms)).await;
                    trace.lock().unwrap().now -= 1;
                    let parents: Vec<_> = inputs.values().cloned().collect();
                    assert!(!f.panics, "{k} panicked");
                    if f.fails {
                        Err(format!("{k} failed"))
                    } else {
                        Ok(format!("{k}({})", parents.join(",")))
                    }
                }
            },
        )
        .await;
        (out, trace)
    }

    fn ok(ms: u64) -> Fake {
        Fake {
            ms,
            fails: false,
            panics: false,
        }
    }

    fn bad(ms: u64) -> Fake {
        Fake {
            fails: true,
            ..ok(ms)
        }
    }

    fn panics(ms: u64) -> Fake {
        Fake {
            panics: true,
            ..ok(ms)
        }
    }

    fn never_cancelled() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    fn started_at(trace: &Trace, k: &str) -> Duration {
        trace
            .started
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("{k} never started"))
    }

    #[tokio::test]
    async fn independent_branches_run_together_and_values_flow_to_dependents() {
        let graph = vec![
            ("vpc", vec![], ok(60)),
            ("role", vec![], ok(60)),
            ("lt", vec!["vpc", "role"], ok(1)),
        ];
        let (out, trace) = run_fakes(graph, 8, BTreeMap::new(), never_cancelled()).await;
        assert!(out.is_complete());
        assert_eq!(trace.lock().unwrap().peak, 2);
        assert_eq!(out.done["lt"], "lt(role(),vpc())");
    }

    #[tokio::test]
    async fn a_node_starts_as_soon_as_its_own_inputs_exist() {
        let graph = vec![
            ("alb", vec![], ok(10)),
            ("cdn", vec!["alb"], ok(1)),
            ("asg", vec![], ok(300)),
        ];
        let (out, trace) = run_fakes(graph, 8, BTreeMap::new(), never_cancelled()).await;
        assert!(out.is_complete());
        assert!(
            started_at(&trace.lock().unwrap(), "cdn") < Duration::from_millis(200),
            "cdn waited for an unrelated node"
        );
    }

    #[tokio::test]
    async fn after_a_failure_nothing_new_starts_but_running_nodes_finish_and_are_recorded() {
        let graph = vec![
            ("iam", vec![], bad(10)),
            ("bucket", vec![], ok(100)),
            ("profile", vec!["iam"], ok(1)),
            ("trail", vec!["bucket"], ok(1)),
        ];
        let (out, _) = run_fakes(graph, 8, BTreeMap::new(), never_cancelled()).await;
        assert_eq!(out.failed, vec![("iam", "iam failed".to_string())]);
        assert!(
            out.done.contains_key("bucket"),
            "the running node must be drained and kept"
        );
        assert_eq!(out.not_started, vec!["profile", "trail"]);
    }

    #[tokio::test]
    async fn a_panicking_node_is_a_failure_of_that_node_and_the_run_still_drains() {
        let graph = vec![
            ("lt", vec![], panics(10)),
            ("bucket", vec![], ok(100)),
            ("asg", vec!["lt"], ok(1)),
        ];
        let (out, _) = run_fakes(graph, 8, BTreeMap::new(), never_cancelled()).await;
        assert_eq!(
            out.failed,
            vec![("lt", "panicked: lt panicked".to_string())]
        );
        assert!(out.done.contains_key("bucket"), "the running node is kept");
        assert_eq!(out.not_started, vec!["asg"]);
    }

    #[tokio::test]
    async fn cancel_stops_new_work_and_drains_the_rest() {
        let (tx, rx) = watch::channel(false);
        let graph = vec![("a", vec![], ok(80)), ("b", vec!["a"], ok(1))];
        let cancel = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.send(true).unwrap();
            tx
        });
        let (out, _) = run_fakes(graph, 8, BTreeMap::new(), rx).await;
        cancel.await.unwrap();
        assert!(out.cancelled);
        assert!(out.done.contains_key("a"));
        assert_eq!(out.not_started, vec!["b"]);
    }

    #[tokio::test]
    async fn the_limit_bounds_concurrency() {
        let graph = vec![
            ("a", vec![], ok(20)),
            ("b", vec![], ok(20)),
            ("c", vec![], ok(20)),
        ];
        let (out, trace) = run_fakes(graph, 1, BTreeMap::new(), never_cancelled()).await;
        assert!(out.is_complete());
        assert_eq!(trace.lock().unwrap().peak, 1);
    }

    #[tokio::test]
    async fn a_resumed_run_only_does_what_is_missing() {
        let graph = vec![("vpc", vec![], ok(1)), ("sg", vec!["vpc"], ok(1))];
        let done = BTreeMap::from([("vpc", "vpc(recorded)".to_string())]);
        let (out, trace) = run_fakes(graph, 8, done, never_cancelled()).await;
        assert!(out.is_complete());
        let started: Vec<_> = trace
            .lock()
            .unwrap()
            .started
            .iter()
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(started, vec!["sg"]);
        assert_eq!(out.done["sg"], "sg(vpc(recorded))");
    }
}
