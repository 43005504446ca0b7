"""CloudFront cache policies (missing in moto), ETag rotation on distribution updates (moto keeps
one ETag forever, so IfMatch could never be checked), and aliases refused without a certificate
that covers them (moto accepts any alias with any certificate, even none)."""
import copy
import datetime
import threading
import uuid

from moto.core.utils import utcnow

from . import post, pre
from ..awsresp import AwsError
from ..state import STATE

# A few real AWS-managed cache policies, so configs that reference them resolve.
MANAGED = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("Managed-CachingOptimized", 1, 86400, 31536000, True),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("Managed-CachingDisabled", 0, 0, 0, False),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": ("Managed-CachingOptimizedForUncompressedObjects", 1, 86400, 31536000, False),
}

_lock = threading.Lock()
_policies = {}  # account -> {id: {"config", "etag", "modified"}}
STATE.on_reset(_policies.clear)


def _etag():
    return uuid.uuid4().hex[:14].upper()


def _managed_policy(pid):
    name, mn, df, mx, gz = MANAGED[pid]
    return {
        "Id": pid, "LastModifiedTime": datetime.datetime(2020, 6, 1, tzinfo=datetime.timezone.utc),
        "CachePolicyConfig": {
            "Name": name, "MinTTL": mn, "DefaultTTL": df, "MaxTTL": mx,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": gz, "EnableAcceptEncodingBrotli": gz,
                "HeadersConfig": {"HeaderBehavior": "none"},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"},
            },
        },
    }


def store(account):
    return _policies.setdefault(account, {})


def _as_policy(pid, rec):
    return {"Id": pid, "LastModifiedTime": rec["modified"], "CachePolicyConfig": copy.deepcopy(rec["config"])}


def _get(call, pid):
    rec = store(call.account).get(pid)
    if rec is None:
        raise AwsError("NoSuchCachePolicy", "The cache policy does not exist.", 404)
    return rec


def _check_name(call, name, skip_id=None):
    for pid, rec in store(call.account).items():
        if pid != skip_id and rec["config"]["Name"] == name:
            raise AwsError("CachePolicyAlreadyExists",
                           "A cache policy with this name already exists. You must provide a unique name.", 409)
    if any(m[0] == name for m in MANAGED.values()):
        raise AwsError("CachePolicyAlreadyExists", "A cache policy with this name already exists.", 409)


def _validate(cfg):
    if not cfg or not cfg.get("Name") or "MinTTL" not in cfg or "ParametersInCacheKeyAndForwardedToOrigin" not in cfg:
        raise AwsError("InvalidArgument", "CachePolicyConfig requires Name, MinTTL and ParametersInCacheKeyAndForwardedToOrigin.")
    p = cfg["ParametersInCacheKeyAndForwardedToOrigin"]
    for section, member in (("HeadersConfig", "Headers"), ("CookiesConfig", "Cookies"), ("QueryStringsConfig", "QueryStrings")):
        sub = (p.get(section) or {}).get(member)
        if sub is not None and sub.get("Quantity", 0) != len(sub.get("Items") or []):
            raise AwsError("InconsistentQuantities", f"The value of Quantity and the size of Items don't match ({section}).")
    mn, df, mx = cfg["MinTTL"], cfg.get("DefaultTTL", 86400), cfg.get("MaxTTL", 31536000)
    if not (mn <= df <= mx):
        raise AwsError("InvalidArgument", "MinTTL <= DefaultTTL <= MaxTTL must hold.")
    cfg.setdefault("DefaultTTL", df)
    cfg.setdefault("MaxTTL", mx)
    if mx == 0:
        _refuse_a_key_without_caching(p)


def _refuse_a_key_without_caching(p):
    """With every TTL 0 caching is off, and CloudFront refuses anything in the cache key (AWS's
    error, as CDK users met it: "The parameter HeaderBehavior is invalid for policy with caching
    disabled.")."""
    behaviours = (("HeaderBehavior", "HeadersConfig"), ("CookieBehavior", "CookiesConfig"),
                  ("QueryStringBehavior", "QueryStringsConfig"))
    for name, section in behaviours:
        if (p.get(section) or {}).get(name, "none") != "none":
            raise AwsError("InvalidArgument", f"The parameter {name} is invalid for policy with caching disabled.")
    for name in ("EnableAcceptEncodingGzip", "EnableAcceptEncodingBrotli"):
        if p.get(name) in (True, "true"):
            raise AwsError("InvalidArgument", f"The parameter {name} is invalid for policy with caching disabled.")


def _check_if_match(call, rec):
    if_match = call.params.get("IfMatch")
    if not if_match:
        raise AwsError("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
    if if_match != rec["etag"]:
        raise AwsError("PreconditionFailed", "The precondition given in one or more of the request header fields evaluated to false.", 412)


def policies_in_use(account):
    """Cache policy ids referenced by any distribution of the account."""
    from moto.cloudfront.models import cloudfront_backends
    used = {}
    for dist in cloudfront_backends[account]["aws"].distributions.values():
        cfg = dist.distribution_config
        # moto stores the config under its AWS member names.
        behaviours = [cfg.__dict__.get("DefaultCacheBehavior")]
        behaviours += list((cfg.__dict__.get("CacheBehaviors") or {}).get("Items") or [])
        for b in behaviours:
            pid = getattr(b, "cache_policy_id", None)
            if pid:
                used[pid] = dist.distribution_id
    return used


@pre("cloudfront:CreateCachePolicy")
def create_cache_policy(call):
    cfg = call.params.get("CachePolicyConfig")
    _validate(cfg)
    with _lock:
        _check_name(call, cfg["Name"])
        pid = str(uuid.uuid4())
        rec = {"config": cfg, "etag": _etag(), "modified": utcnow()}
        store(call.account)[pid] = rec
    return {"CachePolicy": _as_policy(pid, rec), "ETag": rec["etag"],
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/cache-policy/{pid}"}


@pre("cloudfront:GetCachePolicy")
def get_cache_policy(call):
    pid = call.params.get("Id")
    if pid in MANAGED:
        return {"CachePolicy": _managed_policy(pid), "ETag": "MANAGED"}
    rec = _get(call, pid)
    return {"CachePolicy": _as_policy(pid, rec), "ETag": rec["etag"]}


@pre("cloudfront:GetCachePolicyConfig")
def get_cache_policy_config(call):
    pid = call.params.get("Id")
    if pid in MANAGED:
        return {"CachePolicyConfig": _managed_policy(pid)["CachePolicyConfig"], "ETag": "MANAGED"}
    rec = _get(call, pid)
    return {"CachePolicyConfig": copy.deepcopy(rec["config"]), "ETag": rec["etag"]}


@pre("cloudfront:UpdateCachePolicy")
def update_cache_policy(call):
    pid = call.params.get("Id")
    if pid in MANAGED:
        raise AwsError("AccessDenied", "Managed cache policies cannot be modified.", 403)
    cfg = call.params.get("CachePolicyConfig")
    with _lock:
        rec = _get(call, pid)
        _check_if_match(call, rec)
        _validate(cfg)
        _check_name(call, cfg["Name"], skip_id=pid)
        rec.update(config=cfg, etag=_etag(), modified=utcnow())
    return {"CachePolicy": _as_policy(pid, rec), "ETag": rec["etag"]}


@pre("cloudfront:DeleteCachePolicy")
def delete_cache_policy(call):
    pid = call.params.get("Id")
    if pid in MANAGED:
        raise AwsError("AccessDenied", "Managed cache policies cannot be deleted.", 403)
    with _lock:
        rec = _get(call, pid)
        _check_if_match(call, rec)
        in_use = policies_in_use(call.account)
        if pid in in_use:
            raise AwsError("CachePolicyInUse",
                           f"Cannot delete the cache policy because it is attached to distribution {in_use[pid]}.", 409)
        del store(call.account)[pid]
    return {}


@pre("cloudfront:ListCachePolicies")
def list_cache_policies(call):
    kind = call.params.get("Type")
    items = []
    if kind in (None, "managed"):
        items += [{"Type": "managed", "CachePolicy": _managed_policy(pid)} for pid in MANAGED]
    if kind in (None, "custom"):
        items += [{"Type": "custom", "CachePolicy": _as_policy(pid, rec)} for pid, rec in store(call.account).items()]
    start = int(call.params.get("Marker") or 0)
    max_items = int(call.params.get("MaxItems") or 100)
    page = items[start:start + max_items]
    out = {"MaxItems": max_items, "Quantity": len(page), "Items": page}
    if start + max_items < len(items):
        out["NextMarker"] = str(start + max_items)
    return {"CachePolicyList": out}


@pre("cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:UpdateDistribution")
def check_cache_policy_exists(call):
    """AWS rejects a distribution whose behaviours name an unknown cache policy."""
    cfg = call.params.get("DistributionConfig") or (call.params.get("DistributionConfigWithTags") or {}).get("DistributionConfig") or {}
    behaviours = [cfg.get("DefaultCacheBehavior") or {}] + list((cfg.get("CacheBehaviors") or {}).get("Items") or [])
    for b in behaviours:
        pid = b.get("CachePolicyId")
        if pid and pid not in MANAGED and pid not in store(call.account):
            raise AwsError("NoSuchCachePolicy", f"The cache policy {pid} does not exist.", 404)
    return None


CNAME_DOC = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements"


def covers(cert_name, alias):
    """Whether a certificate name covers an alias: the same name, or '*.example.com' for one more
    label in front (www.example.com, not example.com nor a.b.example.com)."""
    cert_name, alias = cert_name.lower().rstrip("."), alias.lower().rstrip(".")
    if cert_name == alias:
        return True
    label, _, rest = alias.partition(".")
    return cert_name.startswith("*.") and bool(label) and label != "*" and rest == cert_name[2:]


@pre("cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:UpdateDistribution")
def check_viewer_certificate(call):
    """AWS: an ACM certificate must exist in us-east-1, and aliases need one naming each of them."""
    from moto.acm.models import acm_backends
    cfg = call.params.get("DistributionConfig") or (call.params.get("DistributionConfigWithTags") or {}).get("DistributionConfig") or {}
    aliases = (cfg.get("Aliases") or {}).get("Items") or []
    viewer = cfg.get("ViewerCertificate") or {}
    arn = viewer.get("ACMCertificateArn")
    if arn:
        parts = arn.split(":")
        cert = None
        if len(parts) > 4 and parts[3] == "us-east-1" and parts[4] == call.account:
            cert = acm_backends[call.account]["us-east-1"]._certificates.get(arn)
        if cert is None:
            raise AwsError("InvalidViewerCertificate", "The specified SSL certificate doesn't exist, isn't in us-east-1 "
                                                       "region, isn't valid, or doesn't include a valid certificate chain.")
        names = [n for n in [cert.common_name] + list(cert.sans or []) if n]
        if not all(any(covers(n, a) for n in names) for a in aliases):
            raise AwsError("InvalidViewerCertificate", "The certificate that is attached to your distribution doesn't "
                                                       "cover the alternate domain name (CNAME) that you're trying to "
                                                       f"add. For more details, see: {CNAME_DOC}")
    elif aliases and not viewer.get("IAMCertificateId"):  # IAM server certificates: not modelled
        raise AwsError("InvalidViewerCertificate", "To add an alternate domain name (CNAME) to a CloudFront distribution, "
                                                   "you must attach a trusted certificate that validates your "
                                                   f"authorization to use the domain name. For more details, see: {CNAME_DOC}")
    return None


@post("cloudfront:UpdateDistribution")
def rotate_etag(call, reply):
    """AWS issues a new ETag per update; moto reuses the old one."""
    if not reply.ok:
        return
    from moto.cloudfront.models import cloudfront_backends
    dist = cloudfront_backends[call.account]["aws"].distributions.get(call.params.get("Id"))
    if dist is None:
        return
    dist.etag = _etag()
    reply.headers = [(k, v) for k, v in reply.headers if k.lower() != "etag"] + [("ETag", dist.etag)]
