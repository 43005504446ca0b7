//! AWS errors with their cause kept (service, operation, AWS error code, request ID), and the one place
//! that classifies them.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

/// How the provider should treat an AWS error.
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

/// One failed AWS call.
#[derive(Debug, thiserror::Error)]
#[error("{service} {operation} failed: {}{message}{}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" (request {r})")).unwrap_or_default())]
pub struct AwsError {
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

impl AwsError {
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

impl AwsError {
    /// A conflict the provider finds itself (no SDK error behind it), such as a name taken by an
    /// object another owner made.
    pub fn conflict(service: &'static str, operation: &'static str, message: String) -> Self {
        let source = message.clone().into();
        Self {
            service,
            operation,
            code: None,
            message: message.into(),
            request_id: None,
            class: ErrorClass::Other,
            source,
        }
    }
}

/// For deletes: an object that is already gone is the goal reached.
pub fn done_if_gone<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    match r {
        Err(e) if e.class != ErrorClass::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// For reads: an object that is gone is `None`, not an error.
pub fn none_if_gone<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `map_err` adapter: `.map_err(aws::error::on("ec2", "CreateVpc"))`.
pub fn on<E, R>(
    service: &'static str,
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: RequestId,
{
    move |e| AwsError::from_sdk(service, operation, e)
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
        "InvalidParameterValue" | "ValidationError"
            if message.contains("IamInstanceProfile") || message.contains("instance profile") =>
        {
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

#[cfg(test)]
mod tests {
    use super::*;

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
                Some("ValidationError"),
                "Invalid IamInstanceProfile: fleet-profile",
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
