//! Waiting for AWS to finish something (a load balancer becoming active, a distribution deploying):
//! poll on a schedule fitted to how long it really takes, report progress to the user, and give up at
//! the deadline of the Pulumi request that asked for it.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Error, ErrorClass};

/// Where progress lines go (the engine's Log service in the provider, nowhere in unit tests).
pub type Report = Arc<dyn Fn(String) + Send + Sync>;

/// The bounds of one request's waits.
#[derive(Clone)]
pub struct Waits {
    /// When the request's time is up.
    pub deadline: Instant,
    /// Progress lines for the user.
    pub report: Report,
}

impl Waits {
    /// Waits bounded by `timeout` from now, reporting through `report`.
    pub fn new(timeout: Duration, report: Report) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            report,
        }
    }

    /// Waits bounded by `timeout` that report nothing.
    pub fn quiet(timeout: Duration) -> Self {
        Self::new(timeout, Arc::new(|_| {}))
    }

    /// Calls `check` until it yields a value, pausing between calls as [`pause`] says (growing with
    /// the time waited, up to `every`) and reporting
    /// "waiting for {what} (elapsed)" each time. The first check is immediate, so an object that is
    /// already ready costs one call and no sleep. Past the deadline it fails with [`Error::TimedOut`]
    /// naming `what`.
    pub async fn until<T, F, Fut>(
        &self,
        what: &str,
        every: Duration,
        mut check: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, Error>>,
    {
        let started = Instant::now();
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            let waited = started.elapsed();
            let pause = pause(waited, every);
            if Instant::now() + pause > self.deadline {
                return Err(Error::TimedOut {
                    what: what.to_string(),
                    waited,
                });
            }
            (self.report)(format!("waiting for {what} ({})", human(waited)));
            tokio::time::sleep(pause).await;
        }
    }
}

impl Waits {
    /// Calls `attempt` until it stops failing with an error of `class` (AWS's own word that the time
    /// is not right yet), polling like [`Waits::until`]. Past the deadline it returns the last such
    /// AWS error, which says more than "gave up".
    pub async fn while_failing<T, F, Fut>(
        &self,
        class: ErrorClass,
        what: &str,
        every: Duration,
        mut attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let last = std::sync::Mutex::new(None);
        let got = self
            .until(what, every, || {
                let fut = attempt();
                let last = &last;
                async move {
                    match fut.await {
                        Ok(v) => Ok(Some(v)),
                        Err(e) if e.class() == class => {
                            *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            Ok(None)
                        }
                        Err(e) => Err(e),
                    }
                }
            })
            .await;
        let last = last.into_inner().unwrap_or_else(|p| p.into_inner());
        got.map_err(|e| match (e.class(), last) {
            (ErrorClass::TimedOut, Some(aws)) => aws,
            _ => e,
        })
    }
}

/// The shortest pause between checks: what is ready in seconds (an IAM profile, a target) is seen
/// within a second of it.
const MIN_PAUSE: Duration = Duration::from_secs(1);

/// The pause before the next check, as a share of the time already waited: what is seen late is seen
/// at most this fraction of the wait late, at every time scale (a 12 s load balancer and a 190 s
/// distribution alike), while a long wait costs few calls (about 1/FRACTION per e-fold of time).
const FRACTION: f64 = 0.04;

/// The pause after `waited`: [`FRACTION`] of it, at least [`MIN_PAUSE`], at most `every` (the
/// service's cap, which keeps a long wait's calls from thinning out past what the user wants to see).
fn pause(waited: Duration, every: Duration) -> Duration {
    waited
        .mul_f64(FRACTION)
        .clamp(MIN_PAUSE, every.max(MIN_PAUSE))
}

/// `130 s` -> `2m10s`, as the user reads it.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let mut out = String::new();
    if s >= 60 {
        let _ = write!(out, "{}m", s / 60);
    }
    let _ = write!(out, "{}s", s % 60);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_pause_is_a_share_of_the_time_waited_between_a_second_and_the_cap() {
        let every = Duration::from_secs(20);
        let at = |s: u64| pause(Duration::from_secs(s), every).as_millis();
        assert_eq!(
            [at(0), at(10), at(25), at(100), at(400), at(2000)],
            [1000, 1000, 1000, 4000, 16000, 20000]
        );
        assert_eq!(pause(Duration::from_secs(600), Duration::ZERO), MIN_PAUSE);
    }

    /// Simulates a wait for something ready after `ready` and returns (checks, seen after).
    fn poll(ready: Duration, every: Duration) -> (u32, Duration) {
        let (mut t, mut checks) = (Duration::ZERO, 1);
        while t < ready {
            t += pause(t, every);
            checks += 1;
        }
        (checks, t)
    }

    #[test]
    fn a_wait_is_seen_late_by_a_small_share_at_every_scale() {
        // The readiness times of the load balancer, distribution, DNS change and targets, compressed
        // and as on AWS.
        for secs in [2, 4, 5, 6, 12, 18, 30, 40, 45, 150, 190, 600] {
            let ready = Duration::from_secs(secs);
            let (checks, seen) = poll(ready, Duration::from_secs(60));
            let late = (seen - ready).as_secs_f64();
            assert!(
                late <= (secs as f64 * FRACTION).max(1.0) + 1e-9,
                "{secs} s: seen {late} s late"
            );
            // A check a second until the share passes a second (25 s), then one per 4% more.
            let floor = MIN_PAUSE.as_secs_f64() / FRACTION;
            let growth = (secs as f64 / floor).max(1.0).ln() / (1.0 + FRACTION).ln();
            let most = secs.min(25) as f64 + growth.ceil() + 1.0;
            assert!(
                f64::from(checks) <= most,
                "{secs} s: {checks} checks, more than {most}"
            );
        }
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(human(Duration::from_secs(130)), "2m10s");
        assert_eq!(human(Duration::from_secs(7)), "7s");
    }

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready_and_reports_each_wait() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let w = Waits::new(
            Duration::from_secs(600),
            Arc::new(move |l| sink.lock().unwrap().push(l)),
        );
        let mut calls = 0;
        let got = w
            .until("distribution E1 to deploy", Duration::from_secs(65), || {
                calls += 1;
                let n = calls;
                async move { Ok::<_, Error>((n == 3).then_some(n)) }
            })
            .await
            .unwrap();
        assert_eq!(got, 3);
        assert_eq!(
            *lines.lock().unwrap(),
            [
                "waiting for distribution E1 to deploy (0s)",
                "waiting for distribution E1 to deploy (1s)"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_the_named_class_and_reports_the_aws_error_at_the_deadline() {
        let w = Waits::quiet(Duration::from_secs(10));
        let err = |class| {
            Error::Aws(Box::new(crate::aws::error::CallError::synthetic(
                "iam", "CreateX", class, "not yet",
            )))
        };
        let mut n = 0;
        let got = w
            .while_failing(
                ErrorClass::PropagationDelay,
                "x",
                Duration::from_secs(1),
                || {
                    n += 1;
                    let r = if n < 3 {
                        Err(err(ErrorClass::PropagationDelay))
                    } else {
                        Ok(n)
                    };
                    async move { r }
                },
            )
            .await;
        assert_eq!(got.unwrap(), 3);
        let other = w
            .while_failing(
                ErrorClass::PropagationDelay,
                "x",
                Duration::from_secs(1),
                || async { Err::<(), _>(err(ErrorClass::Other)) },
            )
            .await;
        assert_eq!(
            other.unwrap_err().class(),
            ErrorClass::Other,
            "other errors are not retried"
        );
        let stuck = w
            .while_failing(
                ErrorClass::PropagationDelay,
                "x",
                Duration::from_secs(1),
                || async { Err::<(), _>(err(ErrorClass::PropagationDelay)) },
            )
            .await;
        assert!(stuck.unwrap_err().to_string().ends_with("not yet"));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline_with_a_timed_out_error() {
        let w = Waits::quiet(Duration::from_secs(30));
        let err = w
            .until(
                "load balancer x to become active",
                Duration::from_secs(10),
                || async { Ok::<Option<()>, Error>(None) },
            )
            .await
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::TimedOut);
        assert!(
            err.to_string().contains("load balancer x to become active"),
            "{err}"
        );
    }
}
