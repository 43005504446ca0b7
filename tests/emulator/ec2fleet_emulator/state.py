"""Process-wide emulator state: active profile, per-operation counters, call log,
a clock tests can advance, and reset hooks for extension stores."""
import threading
import time

from .profile import Profile


class State:
    def __init__(self, profile=None):
        self.lock = threading.RLock()
        self.profile = profile or Profile()
        self.counters = {}
        self.clock_offset = 0.0
        self._reset_hooks = []

    def now(self):
        """Readiness clock: wall time plus whatever tests advanced it by."""
        return time.time() + self.clock_offset

    def next_count(self, key):
        with self.lock:
            n = self.counters.get(key, 0) + 1
            self.counters[key] = n
            return n

    def set_profile(self, profile):
        with self.lock:
            self.profile = profile
            self.counters = {}  # a new profile restarts its schedule

    def on_reset(self, fn):
        self._reset_hooks.append(fn)
        return fn

    def reset(self):
        """Mirror of /moto-api/reset for our own stores (profile is kept)."""
        with self.lock:
            self.counters = {}
            self.clock_offset = 0.0
            for fn in self._reset_hooks:
                fn()


STATE = State()
