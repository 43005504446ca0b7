"""Fleet benchmark: `pulumi up` and `pulumi destroy` of examples/fleet with the release provider against
the in-process AWS emulator. Reports wall time per command, the provider's own create/delete time, the
AWS calls each made (from the emulator's call log) and the provider's peak memory. Run twice: with an
instant emulator, and with realistic per-call latency (no readiness delays), where the graph's
parallelism shows as wall time far below the sum of call latencies. Prints a table, asserts nothing."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from ec2fleet_emulator.control_client import Control  # noqa: E402
from ec2fleet_emulator.server import Emulator  # noqa: E402

SERVICES = ["acm", "autoscaling", "cloudfront", "cloudtrail", "codedeploy", "codepipeline", "ec2", "elbv2", "events",
            "iam", "logs", "route53", "s3", "ssm", "sts"]
LATENCY = {"latency": {"default": {"median_ms": 20, "p99_ms": 150},
                       "ec2:RunInstances": {"median_ms": 400, "p99_ms": 1500},
                       "autoscaling:CreateAutoScalingGroup": {"median_ms": 300, "p99_ms": 1200},
                       "cloudfront:*": {"median_ms": 150, "p99_ms": 800}}}


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


def pulumi(env, cwd, *args):
    t0 = time.perf_counter()
    p = subprocess.run(["pulumi", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise SystemExit(f"pulumi {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return time.perf_counter() - t0, p.stdout


def one_run(provider, bindir, url, control, profile, account, label):
    control.set_profile(profile)
    work = pathlib.Path(tempfile.mkdtemp(prefix="ec2fleet-bench-"))
    try:
        shutil.copytree(ROOT / "examples" / "fleet", work / "proj")
        (work / "home").mkdir()
        (work / "state").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
        env.update(PATH=f"{bindir}:{env['PATH']}", PULUMI_HOME=str(work / "home"),
                   PULUMI_BACKEND_URL=f"file://{work / 'state'}", PULUMI_CONFIG_PASSPHRASE="bench",
                   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true", PULUMI_SKIP_UPDATE_CHECK="true")
        cwd = work / "proj"
        version = next(l.split('"')[1] for l in (ROOT / "Cargo.toml").read_text().splitlines()
                       if l.startswith("version"))
        pulumi(env, cwd, "plugin", "install", "resource", "ec2fleet", version, "--file", provider)
        pulumi(env, cwd, "stack", "init", "bench", "--non-interactive")
        cfg = {"config": {"ec2fleet:region": "us-east-1", "ec2fleet:accessKey": account,
                          "ec2fleet:secretKey": "bench", "ec2fleet:endpoints": {s: url for s in SERVICES}}}
        (cwd / "Pulumi.bench.yaml").write_text(json.dumps(cfg))
        rss = PeakRss()
        rss.start()
        up, out = pulumi(env, cwd, "up", "--yes", "--non-interactive", "--skip-preview")
        made = re.search(r"is serving: (\d+) sub-resources in (\S+)", out)
        calls = control.calls(account=account)
        create_calls = len(calls)
        create_latency = sum(c.get("latency_ms") or 0 for c in calls) / 1000
        down, out = pulumi(env, cwd, "destroy", "--yes", "--non-interactive", "--skip-preview")
        gone = re.search(r"is gone: (\d+) sub-resources deleted in (\S+)", out)
        delete_calls = len(control.calls(account=account)) - create_calls
        rss.stop.set()
        rss.join()
        leaks = control.leaks(account)["count"]
        return [
            (f"{label}: pulumi up (wall)", f"{up:.1f} s"),
            (f"{label}: provider create", f"{made.group(2)} for {made.group(1)} sub-resources"),
            (f"{label}: AWS calls, create", f"{create_calls} (sum of emulated latency {create_latency:.1f} s)"),
            (f"{label}: pulumi destroy (wall)", f"{down:.1f} s"),
            (f"{label}: provider delete", f"{gone.group(2)}"),
            (f"{label}: AWS calls, delete", f"{delete_calls}"),
            (f"{label}: provider peak RSS", f"{rss.peak_kib / 1024:.1f} MiB"),
            (f"{label}: objects left", f"{leaks}"),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    provider, bindir = sys.argv[1], sys.argv[2]
    emu = Emulator(port=0).start()
    control = Control(emu.url)
    rows = one_run(provider, bindir, emu.url, control, {}, "210000000001", "instant")
    rows += one_run(provider, bindir, emu.url, control, LATENCY, "210000000002", "latency")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    emu.stop()


if __name__ == "__main__":
    main()
