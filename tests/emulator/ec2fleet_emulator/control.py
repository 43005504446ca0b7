"""Control endpoints under /_ec2fleet (JSON in, JSON out):

GET    /_ec2fleet/health                 -> {"ok": true}
GET    /_ec2fleet/profile                -> active profile
POST   /_ec2fleet/profile                -> replace profile (body: profile JSON); 400 if invalid
GET    /_ec2fleet/calls?service=&operation=&account=&mutating=true|false&since=N
DELETE /_ec2fleet/calls                  -> clear the call log
GET    /_ec2fleet/clock                  -> {"now":..., "offset":...}
POST   /_ec2fleet/clock/advance          -> body {"seconds": N}: readiness clock jumps ahead
POST   /_ec2fleet/acm/validate           -> body {"account", "region", "arn"}: the certificate is ISSUED
POST   /_ec2fleet/elbv2/answers          -> body {"account", "region", "path", "code" | "timeout"}: what the
                                            account's instances answer health checks on path
POST   /_ec2fleet/reset                  -> reset moto, our stores and the call log
GET    /_ec2fleet/leaks?account=&region= -> leak report (same as python -m ec2fleet_emulator.leaks)
"""
import json
from urllib.parse import parse_qs

from . import calllog
from .profile import Profile, ProfileError
from .state import STATE


def _json(start_response, status, data):
    body = json.dumps(data, default=str).encode()
    start_response(f"{status} {'OK' if status < 400 else 'Error'}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def reset_all():
    from moto.moto_api._internal.models import moto_api_backend
    moto_api_backend.reset()
    STATE.reset()
    calllog.clear()


def handle(mw, environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")[len("/_ec2fleet"):].rstrip("/")
    qs = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body = mw._read_body(environ)
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return _json(start_response, 400, {"error": "body is not JSON"})

    if path == "/health":
        return _json(start_response, 200, {"ok": True})
    if path == "/profile" and method == "GET":
        return _json(start_response, 200, STATE.profile.raw)
    if path == "/profile" and method in ("POST", "PUT"):
        try:
            STATE.set_profile(Profile(data))
        except (ProfileError, TypeError, ValueError) as e:
            return _json(start_response, 400, {"error": str(e)})
        return _json(start_response, 200, STATE.profile.raw)
    if path == "/calls" and method == "GET":
        mut = qs.get("mutating")
        return _json(start_response, 200, calllog.entries(
            service=qs.get("service"), operation=qs.get("operation"), account=qs.get("account"),
            mutating=None if mut is None else mut.lower() == "true", since=int(qs.get("since", 0))))
    if path == "/calls" and method == "DELETE":
        calllog.clear()
        return _json(start_response, 200, {"cleared": True})
    if path == "/clock" and method == "GET":
        return _json(start_response, 200, {"now": STATE.now(), "offset": STATE.clock_offset})
    if path == "/clock/advance" and method == "POST":
        with STATE.lock:
            STATE.clock_offset += float(data.get("seconds", 0))
        return _json(start_response, 200, {"now": STATE.now(), "offset": STATE.clock_offset})
    if path == "/acm/validate" and method == "POST":
        from .ext import acm
        found = acm.validate(data.get("account"), data.get("region", "us-east-1"), data.get("arn"))
        return _json(start_response, 200 if found else 404, {"issued": found})
    if path == "/elbv2/answers" and method == "POST":
        from .ext import health_checks
        problem = health_checks.set_answer(data)
        return _json(start_response, 400 if problem else 200, {"error": problem} if problem else {"set": True})
    if path == "/reset" and method == "POST":
        reset_all()
        return _json(start_response, 200, {"reset": True})
    if path == "/leaks" and method == "GET":
        from .leaks import find_leaks
        host = environ.get("HTTP_HOST", "127.0.0.1")
        report = find_leaks(f"http://{host}", qs.get("account"), qs.get("region", "us-east-1"))
        return _json(start_response, 200, report)
    return _json(start_response, 404, {"error": f"no control endpoint {method} {path}"})
