//! The gRPC status for each kind of failure, so the engine (and the user) can tell a bad credential
//! from a throttle, a timeout, a cancel or a bug.

use tonic::{Code, Status};

use crate::aws::{Error, ErrorClass};
use crate::fleet::apply::Incomplete;

/// The status code for `e`.
pub fn code(e: &Error) -> Code {
    match e {
        Error::Aws(_) => match e.class() {
            ErrorClass::NotFound => Code::NotFound,
            ErrorClass::Throttled | ErrorClass::Transport => Code::Unavailable,
            ErrorClass::Credentials => Code::PermissionDenied,
            ErrorClass::DependencyViolation | ErrorClass::PropagationDelay => {
                Code::FailedPrecondition
            }
            ErrorClass::TimedOut => Code::DeadlineExceeded,
            ErrorClass::Other => Code::Unknown,
        },
        Error::NameTaken { .. } => Code::AlreadyExists,
        Error::Refused { .. } => Code::FailedPrecondition,
        Error::Failed { .. } | Error::ReleaseFailed { .. } => Code::Aborted,
        Error::TimedOut { .. } => Code::DeadlineExceeded,
        Error::Cancelled => Code::Cancelled,
        Error::InvalidRequest { .. } | Error::MissingField { .. } | Error::Internal(_) => {
            Code::Internal
        }
    }
}

/// The status for `e`, its message prefixed with what was being done.
pub fn status(e: &Error, doing: String) -> Status {
    Status::new(code(e), format!("{doing}: {e}"))
}

/// The status code of a run that stopped: its first failure's, or Cancelled when a cancel stopped
/// it before anything failed.
pub fn stopped(inc: &Incomplete) -> Code {
    match inc.failed.first() {
        Some((_, e)) => code(e),
        None if inc.cancelled => code(&Error::Cancelled),
        None => Code::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fleet::{Node, Records};

    #[test]
    fn each_kind_of_failure_has_its_own_status() {
        let cases = [
            (
                Error::NameTaken {
                    service: "iam",
                    what: "a role",
                    name: "x".into(),
                    fleet: "web".into(),
                },
                Code::AlreadyExists,
            ),
            (
                Error::TimedOut {
                    what: "x".into(),
                    waited: Duration::from_secs(1),
                },
                Code::DeadlineExceeded,
            ),
            (Error::Cancelled, Code::Cancelled),
            (Error::Internal("bug".into()), Code::Internal),
            (
                Error::missing("ec2", "CreateVpc", "the VPC ID"),
                Code::Internal,
            ),
            (
                Error::Failed {
                    service: "elbv2",
                    operation: "DescribeLoadBalancers",
                    reason: "failed to provision".into(),
                },
                Code::Aborted,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(code(&e), want, "{e}");
        }
        let cancelled = Incomplete {
            records: Records::default(),
            failed: vec![],
            not_started: vec![Node::Vpc],
            cancelled: true,
        };
        assert_eq!(stopped(&cancelled), Code::Cancelled);
        let failed = Incomplete::at(Records::default(), Node::Vpc, Error::Cancelled);
        assert_eq!(stopped(&failed), Code::Cancelled);
    }
}
