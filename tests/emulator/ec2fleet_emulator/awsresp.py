"""Build AWS-shaped responses for operations we answer ourselves, using moto's
model-driven serializers so shapes, headers (ETag, Location) and error envelopes
match what botocore expects for each protocol."""
import uuid
import warnings

from moto.core.exceptions import ServiceException
from moto.core.request import determine_request_protocol
from moto.core.serialize import get_serializer_class

from .awsreq import service_model


class AwsError(ServiceException):
    """An AWS error with an explicit HTTP status (the model often lacks one)."""

    def __init__(self, code, message, status=400):
        super().__init__(code, message)
        self.status = status


# Error code each service uses to say "slow down", with the texts below. ELB's throttling guide says
# ThrottlingException, but ELBv2 answers `Throttling` on the wire (boto/boto3#3125, spinnaker#3466),
# which is what clients match on.
THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503),
    "s3": ("SlowDown", 503),
    "cloudfront": ("Throttling", 400),
    "route53": ("Throttling", 400),
    "iam": ("Throttling", 400),
    "autoscaling": ("Throttling", 400),
    "elbv2": ("Throttling", 400),
    "sts": ("Throttling", 400),
}


MESSAGES = {"RequestLimitExceeded": "Request limit exceeded.", "SlowDown": "Please reduce your request rate."}


def throttle_error(service):
    code, status = THROTTLE.get(service, ("ThrottlingException", 400))
    return AwsError(code, MESSAGES.get(code, "Rate exceeded"), status)


def serialize(call, result):
    """Return (status, headers, body_bytes) for a result dict or AwsError."""
    sm = service_model(call.service)
    om = sm.operation_model(call.operation)
    content_type = call.environ.get("CONTENT_TYPE", "")
    # Answer in the protocol the client spoke (models may list several).
    proto = determine_request_protocol(sm, content_type)
    if proto == "query" and "json" in content_type:
        proto = "query-json"
    cls = get_serializer_class(sm.service_name, proto)
    with warnings.catch_warnings():  # generic codes (Throttling, InternalFailure) are unmodelled on purpose
        warnings.simplefilter("ignore")
        out = cls(operation_model=om).serialize(result)
    status = out["status_code"]
    if isinstance(result, AwsError):
        status = result.status
    headers = dict(out["headers"])
    headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
    if proto == "json" and headers.get("Content-Type", "text") == "text":
        headers["Content-Type"] = "application/x-amz-json-1.1"
    body = out["body"]
    if isinstance(body, str):
        body = body.encode("utf-8")
    return status, headers, body
