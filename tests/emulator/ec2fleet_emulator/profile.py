"""Profiles: per-operation latency, readiness durations and fault rules.

Calls are counted per (account, operation); everything random is drawn from an RNG
seeded by (seed, operation, n-th call of that
operation), so the same profile + seed gives the same schedule no matter how
calls of different operations interleave across threads.

Example:
{
  "seed": 7,
  "strict": true,
  "latency": {"default": {"median_ms": 5, "p99_ms": 50},
              "ec2:RunInstances": {"median_ms": 300, "p99_ms": 2000}},
  "readiness": {"elbv2.load_balancer": 30, "cloudfront.distribution": 60,
                "route53.change": 10, "elbv2.target": 20,
                "autoscaling.instance": 15, "iam.instance_profile": 8},
  "hook_failures": [{"event": "ApplicationStart", "deployment": 2, "instance": 0,
                     "exit_code": 1, "stderr": "Error: Cannot find module 'express'"}],
  "rate_limits": {"route53": {"bucket": 50, "per_second": 10},
                  "ec2:Describe*": {"bucket": 100, "per_second": 20}},
  "faults": [
    {"operation": "ec2:RunInstances", "nth": [2], "kind": "throttle"},
    {"operation": "s3:*", "every": 5, "kind": "http503"},
    {"operation": "iam:CreateRole", "kind": "reset", "nth": 1},
    {"operation": "codedeploy:CreateApplication", "kind": "error",
     "code": "AccessDeniedException", "message": "no", "status": 400}
  ]
}
"""
import fnmatch
import math
import random

KINDS = {"throttle", "http500", "http503", "reset", "error"}
READINESS_KEYS = {
    "elbv2.load_balancer", "cloudfront.distribution", "route53.change",
    "elbv2.target", "autoscaling.instance", "iam.instance_profile",
    # the release flow: an S3 write reaching EventBridge as a CloudTrail data event, each
    # pipeline action, each CodeDeploy lifecycle event on an instance
    "cloudtrail.event", "codepipeline.action", "codedeploy.lifecycle_event",
}
HOOK_EVENTS = {
    "BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "DownloadBundle",
    "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService",
    "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
}


class ProfileError(ValueError):
    pass


class Profile:
    def __init__(self, data=None):
        data = dict(data or {})
        self.raw = data
        self.seed = int(data.get("seed", 0))
        self.strict = bool(data.get("strict", True))
        # How aws:SecureTransport is seen for plain-HTTP requests to the emulator:
        # the provider talks TLS to real AWS, so by default http counts as TLS.
        self.http_is_secure = bool(data.get("http_is_secure", True))
        self.latency = data.get("latency", {})
        self.readiness = {k: float(v) for k, v in data.get("readiness", {}).items()}
        for k in self.readiness:
            if k not in READINESS_KEYS:
                raise ProfileError(f"unknown readiness key {k!r}; known: {sorted(READINESS_KEYS)}")
        self.faults = list(data.get("faults", []))
        for i, rule in enumerate(self.faults):
            if rule.get("kind") not in KINDS:
                raise ProfileError(f"fault {i}: kind must be one of {sorted(KINDS)}")
            if "operation" not in rule:
                raise ProfileError(f"fault {i}: missing 'operation'")
        self.hook_failures = list(data.get("hook_failures", []))
        for i, rule in enumerate(self.hook_failures):
            if rule.get("event") not in HOOK_EVENTS:
                raise ProfileError(f"hook_failures {i}: event must be one of {sorted(HOOK_EVENTS)}")
        for k, v in self.latency.items():
            if "median_ms" not in v:
                raise ProfileError(f"latency {k}: missing median_ms")
        self.rate_limits = dict(data.get("rate_limits", {}))
        for k, v in self.rate_limits.items():
            if not (float(v.get("bucket", 0)) >= 1 and float(v.get("per_second", 0)) > 0):
                raise ProfileError(f"rate_limits {k}: needs bucket >= 1 and per_second > 0")

    def buckets_for(self, service, operation):
        """The token buckets a call draws from, as (bucket key, size, refill per second): the
        service's account-wide one (key "service") and its operation's own (the first glob
        "service:Pattern" matching it; each operation it matches has a bucket of its own), as AWS
        meters Route 53 (both) and EC2 (per action)."""
        out = []
        whole = self.rate_limits.get(service)
        if whole:
            out.append((service, float(whole["bucket"]), float(whole["per_second"])))
        key = f"{service}:{operation}"
        for pattern, v in self.rate_limits.items():
            if ":" in pattern and fnmatch.fnmatchcase(key, pattern):
                out.append((key, float(v["bucket"]), float(v["per_second"])))
                break
        return out

    def hook_failure(self, nth_deployment, instance_index, account=None):
        """The failure rule for the instance at `instance_index` of the account's n-th (1-based)
        deployment that is not a rollback, or None. Without `deployment` a rule hits every
        deployment; without `instance`, the first instance deployed to; `"all"`: every instance."""
        for rule in self.hook_failures:
            if rule.get("account") and rule["account"] != account:
                continue
            if rule.get("deployment") not in (None, nth_deployment):
                continue
            if rule.get("instance", 0) in ("all", instance_index):
                return rule
        return None

    def ready_after(self, key):
        return self.readiness.get(key, 0.0)

    def rng(self, key, n):
        return random.Random(f"{self.seed}:{key}:{n}")

    def latency_ms(self, key, n):
        """Log-normal draw: median as given, 99th percentile at p99_ms (tail)."""
        spec = self.latency.get(key) or self.latency.get(key.split(":")[0] + ":*") or self.latency.get("default")
        if not spec:
            return 0.0
        median = float(spec["median_ms"])
        p99 = float(spec.get("p99_ms", median))
        if median <= 0:
            return 0.0
        sigma = math.log(max(p99, median) / median) / 2.3263
        return median * math.exp(sigma * self.rng("lat:" + key, n).gauss(0, 1))

    def fault_for(self, key, n, account=None):
        """First fault rule hitting the n-th (1-based) call of `key`, or None."""
        for i, rule in enumerate(self.faults):
            if not fnmatch.fnmatchcase(key, rule["operation"]):
                continue
            if rule.get("account") and rule["account"] != account:
                continue
            if self._hits(i, rule, key, n):
                return rule
        return None

    def _hits(self, index, rule, key, n):
        nth = rule.get("nth")
        if nth is not None:
            return n in (nth if isinstance(nth, list) else [nth])
        if "every" in rule:
            return n % int(rule["every"]) == 0
        if "after" in rule:  # fail for good from the after-th call on
            return n >= int(rule["after"])
        if "probability" in rule:
            # one independent draw per rule, so rules don't shadow each other
            return self.rng(f"fault{index}:{key}", n).random() < float(rule["probability"])
        return True  # no selector: the operation fails for good
