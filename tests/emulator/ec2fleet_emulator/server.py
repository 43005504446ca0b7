"""Run moto in-process behind our middleware on a werkzeug threaded server."""
import json
import os
import threading

# Must be set before moto's IAM backend is first built.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from werkzeug.serving import make_server  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)

from .middleware import Middleware  # noqa: E402
from .profile import Profile  # noqa: E402
from .state import STATE  # noqa: E402


class Handler(MotoRequestHandler):
    """Expose the client socket so the 'reset' fault can RST it."""

    def make_environ(self):
        environ = super().make_environ()
        environ["ec2fleet.socket"] = self.connection
        return environ

    def log_request(self, *args, **kwargs):  # keep test output quiet
        pass


def load_profile(path_or_dict):
    if path_or_dict is None:
        return Profile()
    if isinstance(path_or_dict, dict):
        return Profile(path_or_dict)
    with open(path_or_dict) as f:
        return Profile(json.load(f))


class Emulator:
    def __init__(self, host="127.0.0.1", port=0, profile=None):
        self.host = host
        self.requested_port = port
        if profile is not None:
            STATE.set_profile(load_profile(profile))
        self._server = None
        self._thread = None

    def start(self, wait_ready=True):
        app = Middleware(DomainDispatcherApplication(create_backend_app), warm_up_in_background=True)
        self.app = app
        self._server = make_server(self.host, self.requested_port, app, threaded=True,
                                   request_handler=Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        if wait_ready:
            app.ready.wait()
        return self

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
