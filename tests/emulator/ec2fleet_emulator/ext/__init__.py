"""Hook registry. Extensions register per `service:Operation`:

- pre hooks  fn(call) -> None (go on) | dict result | AwsError | Reply
  (answer instead of moto: missing APIs, refused deletes, faults of readiness);
- post hooks fn(call, reply) -> None, may edit the Reply moto produced
  (corrections, readiness bookkeeping).

`strict=True` hooks only run while the profile's strict switch is on."""
import json

PRE = {}
POST = {}


def pre(*keys, strict=False):
    def deco(fn):
        for k in keys:
            PRE.setdefault(k, []).append((fn, strict))
        return fn
    return deco


def post(*keys):
    def deco(fn):
        for k in keys:
            POST.setdefault(k, []).append(fn)
        return fn
    return deco


class Reply:
    """A mutable HTTP response (status, headers, body bytes)."""

    def __init__(self, status, headers, body):
        self.status = status
        items = list(headers.items() if isinstance(headers, dict) else headers)
        # Kept for HEAD answers, whose Content-Length describes a body not sent.
        self.declared_length = next((str(v) for k, v in items if k.lower() == "content-length"), None)
        self.headers = [(k, str(v)) for k, v in items if k.lower() != "content-length"]
        self.body = body

    @property
    def ok(self):
        return 200 <= self.status < 300

    def json(self):
        return json.loads(self.body or b"{}")

    def set_json(self, data):
        self.body = json.dumps(data).encode()

    @property
    def text(self):
        return self.body.decode("utf-8")

    def set_text(self, text):
        self.body = text.encode("utf-8")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def load_all():
    """Import every extension module so their hooks register (idempotent)."""
    from . import health_checks  # noqa: F401  (its sweep runs before other hooks read groups)
    from . import cloudfront, cloudtrail, codedeploy, autoscaling, ec2, s3, s3_xml, elbv2, zones  # noqa: F401
    from . import acm, route53, deployments, pipeline_runs, trail_events  # noqa: F401
    from .. import strict, readiness  # noqa: F401
