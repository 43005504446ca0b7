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
        self.buckets = {}  # (account, region, bucket key) -> (tokens, wall time counted)
        self._reset_hooks = []

    def now(self):
        """Readiness clock: wall time plus whatever tests advanced it by."""
        return time.time() + self.clock_offset

    def next_count(self, key):
        with self.lock:
            n = self.counters.get(key, 0) + 1
            self.counters[key] = n
            return n

    def admit(self, account, region, buckets):
        """Takes a token from each of the call's `buckets` (see Profile.buckets_for), on wall
        time; False (and nothing taken) when one is empty: AWS throttles the call."""
        now = time.time()
        with self.lock:
            levels = []
            for key, size, per_second in buckets:
                tokens, counted = self.buckets.get((account, region, key), (size, now))
                levels.append(((account, region, key), min(size, tokens + (now - counted) * per_second)))
            if any(level < 1 for _, level in levels):
                for k, level in levels:
                    self.buckets[k] = (level, now)
                return False
            for k, level in levels:
                self.buckets[k] = (level - 1, now)
            return True

    def set_profile(self, profile):
        with self.lock:
            self.profile = profile
            self.counters = {}  # a new profile restarts its schedule
            self.buckets = {}

    def on_reset(self, fn):
        self._reset_hooks.append(fn)
        return fn

    def reset(self):
        """Mirror of /moto-api/reset for our own stores (profile is kept)."""
        with self.lock:
            self.counters = {}
            self.buckets = {}
            self.clock_offset = 0.0
            for fn in self._reset_hooks:
                fn()


STATE = State()
