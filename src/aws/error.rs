//! The provider's error: what happened, with its cause kept. A failed AWS call keeps its service,
//! operation, AWS error code, request ID and SDK error ([`CallError`]); what the provider finds itself
//! (a name another owner holds, a request it could not build, an answer missing a field, a wait past
//! the deadline, a cancel, a broken invariant) has a variant of its own. Classification of AWS's
//! codes lives here too, in one place.

use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::error::operation::BuildError;
use aws_types::request_id::RequestId;

use super::wait::human;

/// How the provider should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The object does not exist (a delete is then done, a read reports it gone).
    NotFound,
    /// Rate limited: retry later.
    Throttled,
    /// Something still depends on the object: retry after the dependent is gone.
    DependencyViolation,
    /// A just-made object is not visible everywhere yet (IAM propagation): retry shortly.
    PropagationDelay,
    /// Credentials missing, invalid or not allowed.
    Credentials,
    /// The endpoint could not be reached or timed out.
    Transport,
    /// A wait for AWS to finish something ran past the request's deadline.
    TimedOut,
    /// Anything else: report it.
    Other,
}

/// Everything that can stop a sub-resource.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] Box<CallError>),
    /// A name the fleet needs belongs to an object another owner made: adopting it would take over
    /// (and later delete) something that is not ours.
    #[error("{what} named {name} exists but does not belong to fleet {fleet}; choose another namePrefix")]
    NameTaken {
        /// Short service name, like `iam`.
        service: &'static str,
        /// What kind of object, like `a role`.
        what: &'static str,
        /// The name taken.
        name: String,
        /// The fleet that wanted it.
        fleet: String,
    },
    /// The provider will not take a step because of what it found in AWS (data it would lose, a
    /// record it did not make); `reason` says what to do.
    #[error("{service} {operation} refused: {reason}")]
    Refused {
        /// Short service name.
        service: &'static str,
        /// The operation not taken.
        operation: &'static str,
        /// Why, and what the user can do.
        reason: String,
        /// The AWS answer that showed it, if one did.
        #[source]
        cause: Option<Box<CallError>>,
    },
    /// AWS finished something it was doing unsuccessfully (a provisioning, a refresh, a target).
    #[error("{service} {operation}: {reason}")]
    Failed {
        /// Short service name.
        service: &'static str,
        /// The operation that reported it.
        operation: &'static str,
        /// AWS's account of what failed.
        reason: String,
    },
    /// A request could not be built (a required field left out of an SDK builder).
    #[error("{service} {operation}: the request could not be built: {source}")]
    InvalidRequest {
        /// Short service name.
        service: &'static str,
        /// The operation whose request it was.
        operation: &'static str,
        /// The SDK builder's error.
        #[source]
        source: BuildError,
    },
    /// AWS answered without a field it always sends.
    #[error("{service} {operation} answered without {field}")]
    MissingField {
        /// Short service name.
        service: &'static str,
        /// The operation answered.
        operation: &'static str,
        /// The field missing, like `the VPC ID`.
        field: &'static str,
    },
    /// A wait ran past the request's deadline.
    #[error("gave up waiting for {what} after {} (the operation's timeout); run the command again to continue, or raise customTimeouts", human(*waited))]
    TimedOut {
        /// What was awaited, like `load balancer web-alb to become active`.
        what: String,
        /// How long it was waited for.
        waited: Duration,
    },
    /// A release reached the fleet's pipeline but did not deploy.
    #[error("release {release} did not deploy: {reason}")]
    ReleaseFailed {
        /// The release's short hash and object version.
        release: String,
        /// What failed where, as CodePipeline and CodeDeploy report it.
        reason: String,
    },
    /// The engine cancelled the operation before this step.
    #[error("cancelled before it was done")]
    Cancelled,
    /// A broken invariant of the provider itself: a bug, never an AWS or input problem.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::panic::Panicked> for Error {
    fn from(p: crate::panic::Panicked) -> Self {
        Error::Internal(p.to_string())
    }
}

impl Error {
    /// How to treat it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Aws(e) => e.class,
            Error::TimedOut { .. } => ErrorClass::TimedOut,
            _ => ErrorClass::Other,
        }
    }

    /// AWS's error code, for a failed AWS call that carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// `map_err` adapter for an SDK builder's error: `.map_err(Error::build("s3", "PutBucketTagging"))`.
    pub fn build(
        service: &'static str,
        operation: &'static str,
    ) -> impl FnOnce(BuildError) -> Self {
        move |source| Error::InvalidRequest {
            service,
            operation,
            source,
        }
    }

    /// The error for an answer without a field AWS always sends.
    pub fn missing(service: &'static str, operation: &'static str, field: &'static str) -> Self {
        Error::MissingField {
            service,
            operation,
            field,
        }
    }
}

/// One failed AWS call.
#[derive(Debug, thiserror::Error)]
#[error("{service} {operation} failed: {}{message}{}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" (request {r})")).unwrap_or_default())]
pub struct CallError {
    /// Short service name, like `ec2`.
    pub service: &'static str,
    /// API operation, like `CreateVpc`.
    pub operation: &'static str,
    /// AWS error code, like `DependencyViolation`, when the service sent one.
    pub code: Option<Box<str>>,
    /// The service's message, or a description of the transport failure.
    pub message: Box<str>,
    /// The request ID, for AWS support.
    pub request_id: Option<Box<str>>,
    /// How to treat it.
    pub class: ErrorClass,
    /// The SDK error itself.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl CallError {
    /// Wraps an SDK error, classifying it.
    pub fn from_sdk<E, R>(
        service: &'static str,
        operation: &'static str,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
        SdkError<E, R>: RequestId,
    {
        let request_id = err.request_id().map(Box::from);
        let (code, message, transport) = match &err {
            SdkError::ServiceError(s) => {
                let e = s.err();
                (
                    e.code().map(str::to_string),
                    e.message().unwrap_or_default().to_string(),
                    false,
                )
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
                None,
                format!("could not reach the endpoint: {}", describe_chain(&err)),
                true,
            ),
            _ => (None, describe_chain(&err), false),
        };
        let class = if transport {
            ErrorClass::Transport
        } else {
            classify(code.as_deref(), &message)
        };
        Self {
            service,
            operation,
            code: code.map(Box::from),
            message: message.into(),
            request_id,
            class,
            source: Box::new(err),
        }
    }
}

#[cfg(test)]
impl CallError {
    /// An error as if AWS had sent it, of a given class, for tests of what handles classes.
    pub(crate) fn synthetic(
        service: &'static str,
        operation: &'static str,
        class: ErrorClass,
        message: &str,
    ) -> Self {
        Self {
            service,
            operation,
            code: None,
            message: message.into(),
            request_id: None,
            class,
            source: message.into(),
        }
    }
}

/// For deletes: an object that is already gone is the goal reached.
pub fn done_if_gone<T>(r: Result<T, Error>) -> Result<(), Error> {
    match r {
        Err(e) if e.class() != ErrorClass::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// For reads: an object that is gone is `None`, not an error.
pub fn none_if_gone<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.class() == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `map_err` adapter: `.map_err(aws::error::on("ec2", "CreateVpc"))`.
pub fn on<E, R>(
    service: &'static str,
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: RequestId,
{
    move |e| Error::Aws(Box::new(CallError::from_sdk(service, operation, e)))
}
/// The error and its causes, as one line.
fn describe_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

/// Classifies an AWS error code (and, where AWS gives no specific code, its message).
pub fn classify(code: Option<&str>, message: &str) -> ErrorClass {
    let Some(code) = code else {
        return ErrorClass::Other;
    };
    match code {
        c if c.ends_with("NotFound")
            || c.ends_with(".NotFound")
            || c.ends_with("NotFoundException") =>
        {
            ErrorClass::NotFound
        }
        "NoSuchEntity"
        | "NoSuchBucket"
        | "NoSuchDistribution"
        | "NoSuchCachePolicy"
        | "NoSuchHostedZone"
        | "TrailNotFoundException"
        | "ResourceNotFoundException"
        | "ApplicationDoesNotExistException"
        | "DeploymentGroupDoesNotExistException"
        | "DeploymentConfigDoesNotExistException"
        | "PipelineNotFoundException"
        | "ParameterNotFound" => ErrorClass::NotFound,
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "PriorRequestNotComplete"
        | "SlowDown"
        | "RequestThrottled"
        | "Throttled" => ErrorClass::Throttled,
        "DependencyViolation"
        | "DeleteConflict"
        | "ResourceInUse"
        | "ResourceInUseException"
        | "DistributionNotDisabled"
        | "BucketNotEmpty" => ErrorClass::DependencyViolation,
        // Auto Scaling reports a missing group as a ValidationError.
        "ValidationError" if message.contains("not found") => ErrorClass::NotFound,
        // A just-made instance profile EC2 cannot see yet. AWS words it "Value (NAME) for parameter
        // iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name" (…arn / ARN when
        // given by ARN); Auto Scaling puts "You must use a valid fully-formed launch template." first.
        "InvalidParameterValue" | "ValidationError" if names_instance_profile(message) => {
            ErrorClass::PropagationDelay
        }
        // A just-made service role that CodePipeline or CodeDeploy cannot assume yet.
        "InvalidStructureException" | "InvalidRoleException"
            if message.contains("AssumeRole") || message.contains("assume") =>
        {
            ErrorClass::PropagationDelay
        }
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "AuthFailure"
        | "ExpiredToken"
        | "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation" => ErrorClass::Credentials,
        _ => ErrorClass::Other,
    }
}

/// Whether an error message is about an invalid instance profile, in any of AWS's spellings.
fn names_instance_profile(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("iaminstanceprofile") || m.contains("invalid iam instance profile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_says_what_happened_and_keeps_its_class() {
        let call = CallError::synthetic(
            "ec2",
            "DeleteVpc",
            ErrorClass::DependencyViolation,
            "in use",
        );
        let cases: [(Error, &str, ErrorClass); 5] = [
            (
                Error::Aws(Box::new(call)),
                "ec2 DeleteVpc failed: in use",
                ErrorClass::DependencyViolation,
            ),
            (
                Error::NameTaken {
                    service: "iam",
                    what: "a role",
                    name: "web-instance".into(),
                    fleet: "web".into(),
                },
                "a role named web-instance exists but does not belong to fleet web; choose another namePrefix",
                ErrorClass::Other,
            ),
            (
                Error::missing("ec2", "CreateVpc", "the VPC ID"),
                "ec2 CreateVpc answered without the VPC ID",
                ErrorClass::Other,
            ),
            (
                Error::TimedOut {
                    what: "load balancer web-alb to become active".into(),
                    waited: Duration::from_secs(130),
                },
                "gave up waiting for load balancer web-alb to become active after 2m10s",
                ErrorClass::TimedOut,
            ),
            (
                Error::Internal("Subnets needs Vpc".into()),
                "internal error: Subnets needs Vpc",
                ErrorClass::Other,
            ),
        ];
        for (e, starts, class) in cases {
            assert!(e.to_string().starts_with(starts), "{e}");
            assert_eq!(e.class(), class, "{e}");
        }
    }

    #[test]
    fn a_request_that_cannot_be_built_keeps_the_builders_error_as_its_source() {
        let built = aws_sdk_s3::types::Tagging::builder()
            .build()
            .map_err(Error::build("s3", "PutBucketTagging"));
        let e = built.unwrap_err();
        assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
        assert!(std::error::Error::source(&e).is_some());
        assert!(e
            .to_string()
            .starts_with("s3 PutBucketTagging: the request could not be built"));
    }

    #[test]
    fn codes_are_classified_in_one_place() {
        let cases = [
            (Some("InvalidVpcID.NotFound"), "", ErrorClass::NotFound),
            (Some("NoSuchEntity"), "", ErrorClass::NotFound),
            (Some("LoadBalancerNotFound"), "", ErrorClass::NotFound),
            (Some("Throttling"), "", ErrorClass::Throttled),
            (Some("PriorRequestNotComplete"), "", ErrorClass::Throttled),
            (
                Some("DependencyViolation"),
                "",
                ErrorClass::DependencyViolation,
            ),
            (Some("DeleteConflict"), "", ErrorClass::DependencyViolation),
            (
                Some("InvalidParameterValue"),
                "Value (web-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                ErrorClass::PropagationDelay,
            ),
            (
                Some("InvalidParameterValue"),
                "Value (arn:aws:iam::123456789012:instance-profile/web-instance) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN",
                ErrorClass::PropagationDelay,
            ),
            (
                Some("ValidationError"),
                "You must use a valid fully-formed launch template. Value (web-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                ErrorClass::PropagationDelay,
            ),
            (
                Some("ValidationError"),
                "MinSize must be <= MaxSize",
                ErrorClass::Other,
            ),
            (
                Some("InvalidStructureException"),
                "CodePipeline is not authorized to perform AssumeRole on role arn:aws:iam::1:role/x",
                ErrorClass::PropagationDelay,
            ),
            (Some("InvalidClientTokenId"), "", ErrorClass::Credentials),
            (None, "", ErrorClass::Other),
        ];
        for (code, msg, want) in cases {
            assert_eq!(classify(code, msg), want, "{code:?} {msg:?}");
        }
    }
}
