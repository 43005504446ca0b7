"""Start-up benchmark: time from exec to the port line on stdout, resident memory once idle, the
binary's size, and the latency of the calls the engine makes on every preview (GetSchema, Check,
Diff) over gRPC. Run by `make bench` against the release binary; prints a table, asserts only that
the calls answer as they should."""

import json
import os
import statistics
import subprocess
import sys
import time

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2 as rpc
from pulumi.runtime.proto import provider_pb2_grpc

URN = "urn:pulumi:bench::proj::ec2fleet:index:Ec2Fleet::web"


def one_start(binary):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    elapsed = time.perf_counter() - t0
    assert line.strip().isdigit(), f"first line must be the port, got {line!r}"
    p.stdout_line = line
    return p, elapsed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def struct(value):
    out = struct_pb2.Struct()
    json_format.ParseDict(value, out)
    return out


def timed(fn, runs):
    """Median and worst milliseconds of `runs` calls of `fn`, and its last answer."""
    times, got = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        got = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), got


def rpc_latency(binary, runs):
    """GetSchema, Check of the default fleet's inputs, and Diff of an instanceType change."""
    p, _ = one_start(binary)
    try:
        port = p.stdout_line.strip().decode()
        stub = provider_pb2_grpc.ResourceProviderStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        rows = []
        med, worst, schema = timed(lambda: stub.GetSchema(rpc.GetSchemaRequest(version=0)), runs)
        assert json.loads(schema.schema)["name"] == "ec2fleet"
        rows.append(("GetSchema", med, worst))
        news = struct({"instanceType": "t3.micro"})
        check = lambda: stub.Check(rpc.CheckRequest(urn=URN, news=news, olds=struct({}), randomSeed=b"0" * 32))  # noqa: E731
        med, worst, checked = timed(check, runs)
        assert not checked.failures, checked.failures
        rows.append(("Check", med, worst))
        olds = checked.inputs
        changed = json_format.MessageToDict(olds)
        changed["instanceType"] = "t3.small"
        diff = lambda: stub.Diff(rpc.DiffRequest(id="web", urn=URN, olds=olds, news=struct(changed), old_inputs=olds))  # noqa: E731
        med, worst, diffed = timed(diff, runs)
        assert list(diffed.diffs) == ["instanceType"] and not diffed.replaces, diffed
        rows.append(("Diff", med, worst))
        return rows
    finally:
        p.terminate()
        p.wait()


def main():
    binary = sys.argv[1]
    runs = int(os.environ.get("RUNS", "20"))
    times = []
    for _ in range(runs):
        p, t = one_start(binary)
        times.append(t * 1000)
        p.terminate()
        p.wait()
    p, _ = one_start(binary)
    time.sleep(1.0)
    rss = rss_kib(p.pid)
    p.terminate()
    p.wait()
    size = os.path.getsize(binary)
    print(f"binary            {binary}")
    print(f"size              {size / 1e6:.1f} MB")
    print(f"start to port     median {statistics.median(times):.1f} ms, max {max(times):.1f} ms ({runs} runs)")
    print(f"RSS idle (1 s)    {rss / 1024:.1f} MiB")
    for name, med, worst in rpc_latency(binary, runs * 10):
        print(f"{name:<17} median {med:.2f} ms, max {worst:.2f} ms ({runs * 10} calls)")


if __name__ == "__main__":
    main()
