"""WSGI middleware around moto's DomainDispatcherApplication.

Order per request: control endpoints -> identify call -> log -> latency -> fault
-> pre hooks (our APIs / strict refusals) -> moto -> post hooks (corrections)."""
import io
import os
import socket
import struct
import threading
import time
import traceback

from moto.core.exceptions import ServiceException
from werkzeug.exceptions import HTTPException

from . import calllog, control
from .awsreq import AwsCall, account_from_access_key
from .awsresp import AwsError, serialize, throttle_error

# A call over the profile's rate_limits: throttled as AWS does, logged as fault "rate_limit".
RATE_EXCEEDED = {"kind": "throttle", "logged_as": "rate_limit"}
from .ext import POST, PRE, Reply, load_all
from .state import STATE
from . import CONTROL_PREFIX


class ConnectionResetByFault(ConnectionResetError):
    """Raised after we RST the socket; werkzeug treats ConnectionError as a dropped client."""


class Middleware:
    def __init__(self, moto_app, warm_up_in_background=False):
        self.moto_app = moto_app
        # Importing moto's EC2/ASG/... models takes ~1 s; doing it in the background
        # lets the port open at once. AWS requests wait for it (control ones don't).
        self.ready = threading.Event()
        if warm_up_in_background:
            threading.Thread(target=self._warm_up, daemon=True).start()
        else:
            self._warm_up()

    def _warm_up(self):
        try:
            # EC2FLEET_EMULATOR_PLAIN=1: no extensions/corrections/strict/readiness, i.e. plain
            # moto plus call log and faults; used to check the tests really need our changes.
            if os.environ.get("EC2FLEET_EMULATOR_PLAIN") != "1":
                load_all()
        finally:
            self.ready.set()
        try:  # pre-build what the first EC2 call needs; requests need not wait for it
            from moto.ec2.models import ec2_backends
            from .awsreq import service_model
            from . import DEFAULT_ACCOUNT
            ec2_backends[DEFAULT_ACCOUNT]["us-east-1"]
            for name in ("ec2", "iam", "elbv2", "autoscaling", "s3"):
                service_model(name)
        except Exception:
            pass

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return control.handle(self, environ, start_response)
        self.ready.wait()
        account_from_access_key(environ)
        if path.startswith("/moto-api"):
            if path.startswith("/moto-api/reset") and environ.get("REQUEST_METHOD") == "POST" and "auth" not in path:
                STATE.reset()
            return self.moto_app(environ, start_response)

        body = self._read_body(environ)
        call = AwsCall(environ, body)
        if call.operation is None:  # no botocore operation matched: moto decides, we still log
            entry = calllog.record({
                "service": call.service, "operation": None, "account": call.account, "region": call.region,
                "time": time.time(), "n": 0, "latency_ms": 0.0, "fault": None, "mutating": False,
                "status": None, "path": environ.get("PATH_INFO")})
            reply = self._call_moto(environ)
            entry["status"] = reply.status
            return self._respond(environ, start_response, reply)

        prof = STATE.profile
        n = STATE.next_count((call.account, call.key))  # "n-th call" counts per account
        latency = prof.latency_ms(call.key, n)
        fault = prof.fault_for(call.key, n, call.account)
        if not fault and not STATE.admit(call.account, call.region, prof.buckets_for(call.service, call.operation)):
            fault = RATE_EXCEEDED
        entry = calllog.record({
            "service": call.service, "operation": call.operation, "account": call.account,
            "region": call.region, "time": time.time(), "n": n,
            "latency_ms": round(latency, 3), "fault": fault.get("logged_as", fault["kind"]) if fault else None,
            "mutating": calllog.is_mutating(call.operation), "status": None,
        })
        if latency:
            time.sleep(latency / 1000.0)
        if fault:
            reply = self._fault(call, fault, environ)
        else:
            reply = self._serve(call, environ)
        entry["status"] = reply.status
        return self._respond(environ, start_response, reply)

    @staticmethod
    def _respond(environ, start_response, reply):
        length = str(len(reply.body))
        if environ.get("REQUEST_METHOD") == "HEAD" and reply.declared_length is not None:
            length = reply.declared_length
        start_response(f"{reply.status} {_reason(reply.status)}", reply.headers + [("Content-Length", length)])
        return [reply.body]

    @staticmethod
    def _read_body(environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            body = environ["wsgi.input"].read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
            body = environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return body

    def _fault(self, call, rule, environ):
        kind = rule["kind"]
        if kind == "reset":
            sock = environ.get("ec2fleet.socket")
            if sock is not None:
                # SO_LINGER 0 makes close() send RST: the client sees "connection reset".
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # socket.close() would wait for werkzeug's file objects; detach and close the fd now.
                os.close(sock.detach())
            raise ConnectionResetByFault("fault: connection reset")
        if kind == "throttle":
            err = throttle_error(call.service)
        elif kind == "http500":
            err = AwsError(rule.get("code", "InternalFailure"), rule.get("message", "Injected internal error"), 500)
        elif kind == "http503":
            err = AwsError(rule.get("code", "ServiceUnavailable"), rule.get("message", "Injected unavailability"), 503)
        else:
            err = AwsError(rule.get("code", "InternalFailure"), rule.get("message", "Injected failure"),
                           int(rule.get("status", 400)))
        return Reply(*serialize(call, err))

    def _serve(self, call, environ):
        strict = STATE.profile.strict
        try:
            for fn, only_strict in PRE.get(f"{call.service}:*", []) + PRE.get(call.key, []):
                if only_strict and not strict:
                    continue
                out = fn(call)
                if out is None:
                    continue
                if isinstance(out, Reply):
                    return out
                return Reply(*serialize(call, out))
        except ServiceException as e:
            return Reply(*serialize(call, e))
        except HTTPException as e:  # moto's own errors raised from a backend we called
            return Reply(e.code, list(e.get_headers()), e.get_body().encode())
        except Exception as e:  # extension bug: answer like AWS would, keep serving
            traceback.print_exc()
            return Reply(*serialize(call, AwsError("InternalFailure", f"emulator extension error: {e}", 500)))
        reply = self._call_moto(environ)
        for fn in POST.get(f"{call.service}:*", []) + POST.get(call.key, []):
            try:
                fn(call, reply)
            except Exception:  # a broken correction must not hide moto's answer
                traceback.print_exc()
        return reply

    def _call_moto(self, environ):
        captured = {}
        chunks = []

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers
            return chunks.append

        it = self.moto_app(environ, start_response)
        try:
            for c in it:
                chunks.append(c)
        finally:
            if hasattr(it, "close"):
                it.close()
        return Reply(captured["status"], captured["headers"], b"".join(chunks))


def _reason(status):
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
