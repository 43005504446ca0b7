"""Fleet benchmark (`make bench`): the release provider driven by the real `pulumi` CLI against the
in-process AWS emulator, with realistic per-call latency and AWS's published request rates, under
two readiness profiles: AWS-like waits and the same compressed about tenfold.

Per profile it measures create, update (an instance refresh: instanceType changed), refresh and
delete of one default fleet with a DNS record, and prints each against
- its floor: for every chain of waits the operation must sit through (the distribution deploying,
  the load balancer provisioning, the instance profile, instances and targets, the record
  propagating, the distribution disabling), the moment the call that starts the chain returns in
  a run with no waits at all (same latency), plus the chain's waits; the floor is the longest, and
  never less than that run's own time;
- the sequential sum: the no-wait run's time plus every one of the operation's waits one after
  another, as a plan-then-apply tool that does not overlap them would go.
Then ten fleets in one stack (one provider process) against one, and a fleet of minCapacity 20 /
maxCapacity 50 against the default one: time, AWS calls, calls throttled by the emulator's rate
limits, peak calls a second per service, the provider's peak RSS, and objects left behind.

Times are from the emulator's call log (first call of a command to the end of its last), so the
CLI's own start-up is left out. A benchmark: it asserts that every command succeeds and nothing
leaks, and prints the figures. `BENCH_ONLY=compressed` (or `aws-like`, `ten`, `large`) runs a part.
"""

import collections
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

import boto3  # noqa: E402

from ec2fleet_emulator.control_client import Control  # noqa: E402
from ec2fleet_emulator.server import Emulator  # noqa: E402

SERVICES = ["acm", "autoscaling", "cloudfront", "cloudtrail", "codedeploy", "codepipeline", "ec2", "elbv2", "events",
            "iam", "logs", "route53", "s3", "ssm", "sts"]
REALISTIC = json.loads((ROOT / "tests" / "emulator" / "profiles" / "realistic.json").read_text())
READINESS = {
    "aws-like": {"elbv2.load_balancer": 150, "cloudfront.distribution": 190, "route53.change": 40,
                 "elbv2.target": 30, "autoscaling.instance": 45, "iam.instance_profile": 6},
    "compressed": {"elbv2.load_balancer": 12, "cloudfront.distribution": 18, "route53.change": 4,
                   "elbv2.target": 5, "autoscaling.instance": 6, "iam.instance_profile": 2},
}
ZONE = "bench.example.com"
DEFAULT_SIZE = 3  # the fleet's default minCapacity, so its desired count


def profile(readiness):
    """The realistic profile's latency and rate limits, with these readiness times (no faults)."""
    return {"seed": 1, "latency": REALISTIC["latency"], "rate_limits": REALISTIC["rate_limits"],
            "readiness": readiness}


def chains(op, r, size=DEFAULT_SIZE):
    """The chains of waits `op` sits through, each as (call that starts it, seconds), and the
    sum of all its waits one after another. The emulator starts a target's health checks when the
    instance launches, so an instance waits for the longer of the two."""
    boot = max(r["autoscaling.instance"], r["elbv2.target"])
    if op == "create":
        waits = {"cloudfront:CreateDistributionWithTags": r["cloudfront.distribution"],
                 "elbv2:CreateLoadBalancer": r["elbv2.load_balancer"],
                 "route53:ChangeResourceRecordSets": r["route53.change"],
                 "autoscaling:CreateAutoScalingGroup": r["iam.instance_profile"] + boot}
        seq = sum(r.values()) - boot + r["autoscaling.instance"] + r["elbv2.target"]
    elif op == "update":
        waits = {"autoscaling:StartInstanceRefresh": boot}
        seq = size * (r["autoscaling.instance"] + r["elbv2.target"])  # a rolling update, one at a time
    elif op == "delete":
        waits = {"cloudfront:UpdateDistribution": r["cloudfront.distribution"]}
        seq = r["cloudfront.distribution"] + r["route53.change"]
    else:
        waits, seq = {}, 0
    return waits, seq


class PeakRss(threading.Thread):
    """Samples the provider processes' high-water RSS until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kib, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            for pid in os.listdir("/proc"):
                try:
                    if pid.isdigit() and open(f"/proc/{pid}/comm").read().startswith("pulumi-resource"):
                        hwm = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM:"))
                        self.peak_kib = max(self.peak_kib, hwm)
                except (OSError, StopIteration):
                    pass
            time.sleep(0.05)


class Stack:
    """One Pulumi project and stack in a scratch directory, in its own emulator account."""

    def __init__(self, provider, bindir, url, control, account, fleets=1, sizes=None):
        self.control, self.account = control, account
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="ec2fleet-bench-"))
        self.cwd = self.work / "proj"
        self.cwd.mkdir()
        (self.work / "home").mkdir()
        (self.work / "state").mkdir()
        aws = lambda svc: boto3.client(svc, endpoint_url=url, region_name="us-east-1",  # noqa: E731
                                       aws_access_key_id=account, aws_secret_access_key="bench")
        self.route53, self.acm = aws("route53"), aws("acm")
        # The zone the records go in, and the certificate the distributions need for their names.
        self.zone = self.route53.create_hosted_zone(
            Name=ZONE, CallerReference=f"bench-{account}")["HostedZone"]["Id"].split("/")[-1]
        self.cert = self.acm.request_certificate(DomainName=f"*.{ZONE}", ValidationMethod="DNS")["CertificateArn"]
        control.validate_certificate(account, self.cert)
        resources = {}
        for i in range(fleets):
            name = f"f{i}.{ZONE}"
            props = {"instanceType": "${instanceType}",
                     "dns": {"hostedZoneId": self.zone, "zoneName": ZONE, "recordName": name},
                     "cdn": {"aliases": [name], "certificateArn": self.cert}}
            props.update(sizes or {})
            resources[f"fleet{i}"] = {"type": "ec2fleet:index:Ec2Fleet", "properties": props}
        (self.cwd / "Pulumi.yaml").write_text(json.dumps({
            "name": "ec2fleet-bench", "runtime": "yaml",
            "config": {"instanceType": {"type": "string", "default": "t3.micro"}}, "resources": resources}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
        env.update(PATH=f"{bindir}:{env['PATH']}", PULUMI_HOME=str(self.work / "home"),
                   PULUMI_BACKEND_URL=f"file://{self.work / 'state'}", PULUMI_CONFIG_PASSPHRASE="bench",
                   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true", PULUMI_SKIP_UPDATE_CHECK="true")
        self.env = env
        version = json.loads(subprocess.run([provider, "--print-schema"], capture_output=True, text=True,
                                            check=True).stdout)["version"]
        self.pulumi("plugin", "install", "resource", "ec2fleet", version, "--file", provider)
        self.pulumi("stack", "init", "bench", "--non-interactive")
        cfg = {"config": {"ec2fleet:region": "us-east-1", "ec2fleet:accessKey": account,
                          "ec2fleet:secretKey": "bench", "ec2fleet:endpoints": {s: url for s in SERVICES}}}
        (self.cwd / "Pulumi.bench.yaml").write_text(json.dumps(cfg))

    def pulumi(self, *args):
        p = subprocess.run(["pulumi", *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                           timeout=1800)
        if p.returncode != 0:
            raise SystemExit(f"pulumi {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
        return p.stdout

    def calls(self):
        return self.control.calls(account=self.account)

    def run(self, *args):
        """Runs a command; returns the AWS calls it made."""
        before = max((c["seq"] for c in self.calls()), default=0)
        self.pulumi(*args)
        return [c for c in self.calls() if c["seq"] > before]

    def op(self, name, *flags):
        args = {"create": ("up",), "update": ("up",), "refresh": ("refresh",), "delete": ("destroy",)}[name]
        return self.run(*args, "--yes", "--non-interactive", "--skip-preview", *flags)

    def leaks(self):
        """What the stack's fleets left, once the zone and certificate the bench made are gone."""
        self.route53.delete_hosted_zone(Id=self.zone)
        self.acm.delete_certificate(CertificateArn=self.cert)
        return self.control.leaks(self.account)["count"]

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)


def span(calls):
    """Seconds from the first call's arrival to the end of the last."""
    start = min(c["time"] for c in calls)
    return max(c["time"] + (c["latency_ms"] or 0) / 1000 for c in calls) - start


def returned_at(calls, key):
    """When the first `service:Operation` call returned, in seconds from the first call."""
    start = min(c["time"] for c in calls)
    hit = next(c for c in calls if f"{c['service']}:{c['operation']}" == key and (c["status"] or 500) < 300)
    return hit["time"] + (hit["latency_ms"] or 0) / 1000 - start


def peak_rates(calls):
    """The most calls each service took in one second."""
    per = collections.Counter((c["service"], int(c["time"])) for c in calls)
    peak = collections.defaultdict(int)
    for (svc, _), n in per.items():
        peak[svc] = max(peak[svc], n)
    return dict(sorted(peak.items(), key=lambda kv: -kv[1]))


def summary(calls):
    throttled = sum(1 for c in calls if c["fault"] == "rate_limit")
    return f"{len(calls)} calls, {throttled} throttled"


def lifecycle(stack):
    """create, update, refresh, delete of `stack`; the calls of each."""
    out = {"create": stack.op("create")}
    stack.pulumi("config", "set", "instanceType", "t3.small")
    out["update"] = stack.op("update")
    out["refresh"] = stack.op("refresh")
    out["delete"] = stack.op("delete")
    assert stack.leaks() == 0, "objects left after destroy"
    return out


def one_profile(ctx, name, rows):
    """The default fleet's lifecycle with no waits, then under the profile's waits."""
    readiness = READINESS[name]
    ctx.control.set_profile(profile({}))
    base = ctx.stack()
    try:
        instant = lifecycle(base)
    finally:
        base.close()
    ctx.control.set_profile(profile(readiness))
    stack = ctx.stack()
    rss = PeakRss()
    rss.start()
    try:
        timed = lifecycle(stack)
    finally:
        rss.stop.set()
        stack.close()
    for op in ("create", "update", "refresh", "delete"):
        waits, seq = chains(op, readiness)
        no_wait = span(instant[op])
        floor = max([no_wait] + [returned_at(instant[op], k) + w for k, w in waits.items()])
        took = span(timed[op])
        rows.append((f"{name}: {op}", f"{took:6.1f} s | floor {floor:6.1f} s ({took / floor:4.2f}x) | "
                     f"sequential {no_wait + seq:6.1f} s ({took / (no_wait + seq):4.2f}x) | {summary(timed[op])}"))
    rows.append((f"{name}: peak calls/s (create)", json.dumps(peak_rates(timed["create"]))))
    rows.append((f"{name}: provider peak RSS", f"{rss.peak_kib / 1024:.1f} MiB"))
    return span(timed["create"]), span(timed["delete"])


def many(ctx, rows, one_create, one_delete, n=10):
    """`n` fleets in one stack under the AWS-like waits, against one fleet. The engine runs at most
    `--parallel` resource operations at once, 4 x GOMAXPROCS by default (8 on two cores), so the
    bench asks for `n`: with fewer, the fleets past it wait for a whole fleet's create."""
    ctx.control.set_profile(profile(READINESS["aws-like"]))
    stack = ctx.stack(fleets=n)
    rss = PeakRss()
    rss.start()
    try:
        create = stack.op("create", f"--parallel={n}")
        delete = stack.op("delete", f"--parallel={n}")
        leaks = stack.leaks()
    finally:
        rss.stop.set()
        stack.close()
    assert leaks == 0, f"{leaks} objects left by {n} fleets"
    rows.append((f"{n} fleets: engine --parallel", f"{n} (its default here: {4 * len(os.sched_getaffinity(0))})"))
    rows.append((f"{n} fleets: create", f"{span(create):6.1f} s ({span(create) / one_create:4.2f}x one fleet) | "
                 f"{summary(create)}"))
    rows.append((f"{n} fleets: delete", f"{span(delete):6.1f} s ({span(delete) / one_delete:4.2f}x one fleet) | "
                 f"{summary(delete)}"))
    rows.append((f"{n} fleets: peak calls/s (create)", json.dumps(peak_rates(create))))
    rows.append((f"{n} fleets: provider peak RSS", f"{rss.peak_kib / 1024:.1f} MiB; objects left {leaks}"))


def large(ctx, rows):
    """minCapacity 20 / maxCapacity 50 against the default fleet, compressed waits."""
    ctx.control.set_profile(profile(READINESS["compressed"]))
    out = {}
    for label, sizes in (("default (3)", None), ("large (20..50)", {"minCapacity": 20, "maxCapacity": 50})):
        stack = ctx.stack(sizes=sizes)
        try:
            out[label] = lifecycle(stack)
        finally:
            stack.close()
    for label, ops in out.items():
        rows.append((f"fleet {label}", " | ".join(
            f"{op} {span(calls):5.1f} s, {len(calls)} calls" for op, calls in ops.items())))
    per_op = lambda calls: collections.Counter(f"{c['service']}:{c['operation']}" for c in calls)  # noqa: E731
    big, small = per_op(out["large (20..50)"]["create"]), per_op(out["default (3)"]["create"])
    grown = {k: (small.get(k, 0), v) for k, v in big.items() if v > small.get(k, 0) + 2}
    rows.append(("large create: calls that grew", json.dumps(grown) if grown else "none grew by more than 2"))


class Ctx:
    def __init__(self, provider, bindir, url, control):
        self.provider, self.bindir, self.url, self.control = provider, bindir, url, control
        self.n = 0

    def stack(self, **kw):
        self.n += 1
        return Stack(self.provider, self.bindir, self.url, self.control, f"2100000{self.n:05d}", **kw)


def main():
    provider, bindir = sys.argv[1], sys.argv[2]
    only = os.environ.get("BENCH_ONLY")
    emu = Emulator(port=0).start()
    ctx = Ctx(provider, bindir, emu.url, Control(emu.url))
    rows = []
    try:
        for name in ("compressed", "aws-like"):
            if only in (None, name) or (name == "aws-like" and only == "ten"):
                one = one_profile(ctx, name, rows)
        if only in (None, "ten"):
            many(ctx, rows, *one)
        if only in (None, "large"):
            large(ctx, rows)
    finally:
        emu.stop()
        width = max((len(k) for k, _ in rows), default=0)
        for k, v in rows:
            print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
