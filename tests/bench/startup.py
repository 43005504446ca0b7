"""Start-up benchmark: time from exec to the port line on stdout, and resident memory once idle.
Run by `make bench` against the release binary; prints a table, asserts nothing about speed."""

import os
import statistics
import subprocess
import sys
import time


def one_start(binary):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    elapsed = time.perf_counter() - t0
    assert line.strip().isdigit(), f"first line must be the port, got {line!r}"
    return p, elapsed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


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


if __name__ == "__main__":
    main()
