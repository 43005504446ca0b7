"""Identify an incoming AWS request (service, operation, account, region) and parse
its parameters with moto's own botocore-model-driven parsers."""
import io
import json
import re
from functools import lru_cache
from urllib.parse import parse_qs

from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request, determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model

from . import DEFAULT_ACCOUNT

# SigV4 signing name -> botocore model name (only where they differ).
SIGNING_TO_MODEL = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
}
GLOBAL_SERVICES = {"iam", "cloudfront", "route53"}


@lru_cache(maxsize=None)
def service_model(name):
    return get_service_model(name)


_KEY_ACCOUNT = re.compile(r"Credential=(\d{12})/")


def account_from_access_key(environ):
    """A 12-digit access key ID names the account. Clients that cannot add the x-moto-account-id
    header (the provider under test, configured like any AWS user) get per-test isolation this way."""
    if "HTTP_X_MOTO_ACCOUNT_ID" not in environ:
        m = _KEY_ACCOUNT.search(environ.get("HTTP_AUTHORIZATION", ""))
        if m:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = m.group(1)


class AwsCall:
    """One request as seen by the middleware. `params` is parsed lazily because
    most requests are passed to moto untouched."""

    def __init__(self, environ, body):
        self.environ = environ
        self.body = body
        self.headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        self.account = self.headers.get("x-moto-account-id", DEFAULT_ACCOUNT)
        self.signing_name, self.region = self._scope()
        self.form = {}
        ctype = environ.get("CONTENT_TYPE", "")
        if ctype.startswith("application/x-www-form-urlencoded") and body:
            self.form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        self.service = self._model_name()
        self.uri_params = {}
        self.operation = self._operation()
        self._params = None

    def _scope(self):
        auth = self.environ.get("HTTP_AUTHORIZATION", "")
        try:
            scope = auth.split(",")[0].split()[1]
            _, _, region, service, _ = scope.split("/")
            return service.lower(), region
        except (IndexError, ValueError):
            return None, "us-east-1"

    def _model_name(self):
        s = self.signing_name
        if s is None:
            return None
        if s == "elasticloadbalancing":
            return "elbv2" if self.form.get("Version") == "2015-12-01" else "elb"
        return SIGNING_TO_MODEL.get(s, s)

    def _operation(self):
        if self.service is None:
            return None
        if "Action" in self.form:
            return self.form["Action"]
        target = self.headers.get("x-amz-target")
        if target:
            return target.split(".")[-1]
        try:
            op, self.uri_params = get_service_router(self.service).match(self.request())
            return op.name
        except Exception:  # unknown route: leave it to moto to answer
            return None

    def request(self):
        # A private environ copy: parsing must not consume the stream moto reads.
        env = dict(self.environ)
        env["wsgi.input"] = io.BytesIO(self.body)
        env.pop("werkzeug.request", None)
        return Request(env)

    @property
    def key(self):
        """`service:Operation`, the name used by profiles and the call log."""
        return f"{self.service}:{self.operation}"

    @property
    def params(self):
        """Input parsed against the botocore model (same as moto's BaseResponse)."""
        if self._params is None:
            self._params = {}
            if self.service and self.operation:
                try:
                    sm = service_model(self.service)
                    om = sm.operation_model(self.operation)
                    req = self.request()
                    proto = determine_request_protocol(sm, req.content_type)
                    parser = PROTOCOL_PARSERS[proto](om)
                    self._params = parser.parse({
                        "method": req.method, "values": req.values, "headers": req.headers,
                        "body": self.body, "url_path": req.path, "url_params": self.uri_params,
                    })
                except Exception:
                    self._params = {}
        return self._params

    def json_body(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}

    @property
    def backend_region(self):
        """Region key moto uses for this service's backend."""
        return "aws" if self.service in GLOBAL_SERVICES else self.region
