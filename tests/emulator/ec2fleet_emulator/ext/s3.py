"""S3 bucket-policy Deny statements, conditions included; CreateBucket's BucketAlreadyExists in
AWS's words.

moto evaluates bucket policies on object calls but ignores Condition blocks, so
the common "Deny if aws:SecureTransport is false" denied every object call.
We evaluate Deny statements (actions, resources, principals and the condition
operators providers use) for each S3 call on a bucket that has a policy.

Transport: a request is TLS if it came over https, or, since the provider talks
to the emulator over http only for convenience, if the profile says
`http_is_secure` (default) and the request lacks `x-ec2fleet-insecure-transport`."""
import fnmatch
import json
import threading

from moto.iam.access_control import PermissionResult
from moto.s3 import models as s3_models
from moto.s3.models import s3_backends

from . import pre
from ..awsresp import AwsError
from ..state import STATE

# Operations whose IAM action is not simply s3:<Operation>.
ACTION = {
    "HeadObject": "s3:GetObject", "HeadBucket": "s3:ListBucket", "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
    "DeleteObjects": "s3:DeleteObject", "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "GetBucketVersioning": "s3:GetBucketVersioning", "PutBucketVersioning": "s3:PutBucketVersioning",
}
# The bucket owner can always manage the policy itself (AWS lets the root user do so).
EXEMPT = {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "CreateBucket"}


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _context(call):
    secure = call.environ.get("wsgi.url_scheme") == "https" or (
        STATE.profile.http_is_secure and "x-ec2fleet-insecure-transport" not in call.headers)
    ctx = {"aws:securetransport": "true" if secure else "false",
           "aws:principalaccount": call.account, "aws:requestedregion": call.region}
    for h in ("x-amz-server-side-encryption", "x-amz-acl"):
        if h in call.headers:
            ctx["s3:" + h] = call.headers[h]
    return ctx


def _condition_holds(op, key, values, ctx):
    if_exists = op.endswith("IfExists")
    base = op[:-8] if if_exists else op
    actual = ctx.get(key.lower())
    values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(values)]
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        return if_exists
    if base in ("Bool", "StringEquals", "StringEqualsIgnoreCase"):
        return any(actual.lower() == v.lower() if base != "StringEquals" else actual == v for v in values)
    if base == "StringNotEquals":
        return all(actual != v for v in values)
    if base == "StringLike":
        return any(fnmatch.fnmatchcase(actual, v) for v in values)
    if base == "StringNotLike":
        return not any(fnmatch.fnmatchcase(actual, v) for v in values)
    return False  # unsupported operator: never matches (fail open, like an unknown key)


def _principal_matches(principal, account):
    if principal in (None, "*"):
        return True
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    return any(p == "*" or account in p for p in _as_list(aws or []))


def statement_denies(stmt, action, resource, ctx, account):
    if stmt.get("Effect") != "Deny" or not _principal_matches(stmt.get("Principal"), account):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(stmt.get("Action", []))):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(stmt.get("Resource", []))):
        return False
    for op, kv in (stmt.get("Condition") or {}).items():
        for key, values in kv.items():
            if not _condition_holds(op, key, values, ctx):
                return False
    return True


_tls = threading.local()  # request context for moto's own policy check below


@pre("s3:*")
def check_bucket_policy(call):
    _tls.ctx, _tls.account = _context(call), call.account
    if call.operation in EXEMPT:
        return None
    bucket_name = call.uri_params.get("Bucket") or call.params.get("Bucket")
    if not bucket_name:
        return None
    owner = s3_backends.bucket_accounts.get(bucket_name, ("aws", call.account))[1]
    bucket = s3_backends[owner]["aws"].buckets.get(bucket_name)
    if bucket is None or not bucket.policy:
        return None
    try:
        policy = json.loads(bucket.policy)
    except ValueError:
        return None
    key = call.uri_params.get("Key") or call.params.get("Key")
    resource = f"arn:aws:s3:::{bucket_name}/{key}" if key else f"arn:aws:s3:::{bucket_name}"
    action = ACTION.get(call.operation, "s3:" + call.operation)
    ctx = _context(call)
    for stmt in _as_list(policy.get("Statement", [])):
        if statement_denies(stmt, action, resource, ctx, call.account):
            raise AwsError("AccessDenied", "Access Denied", 403)
    return None


def get_permission(self, action, resource):
    """Replaces FakeBucket.get_permission: same answer, but conditions count."""
    if self.policy is None:
        return PermissionResult.NEUTRAL
    try:
        policy = json.loads(self.policy)
    except ValueError:
        return PermissionResult.NEUTRAL
    ctx = getattr(_tls, "ctx", None) or {"aws:securetransport": "true"}
    account = getattr(_tls, "account", "")
    statements = _as_list(policy.get("Statement", []))
    if any(statement_denies(s, action, resource, ctx, account) for s in statements):
        return PermissionResult.DENIED
    for s in statements:
        if s.get("Effect") == "Allow" and not s.get("Condition") and \
                any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(s.get("Action", []))) and \
                any(fnmatch.fnmatchcase(resource, r) for r in _as_list(s.get("Resource", []))):
            return PermissionResult.PERMITTED
    return PermissionResult.NEUTRAL


s3_models.FakeBucket.get_permission = get_permission


# CreateBucket of a name someone else owns: moto's text lacks the final period AWS's has. (The rest of
# CreateBucket is right in moto: in us-east-1 re-creating a bucket you own there answers 200 OK, AWS's
# legacy behaviour; elsewhere it is 409 BucketAlreadyOwnedByYou.)
from moto.s3 import exceptions as _s3_errors  # noqa: E402

_orig_exists_init = _s3_errors.BucketAlreadyExists.__init__


def _exists_init(self, bucket):
    _orig_exists_init(self, bucket)
    self.message = ("The requested bucket name is not available. The bucket namespace is shared by all "
                    "users of the system. Please select a different name and try again.")


_s3_errors.BucketAlreadyExists.__init__ = _exists_init
