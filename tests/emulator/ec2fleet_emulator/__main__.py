"""python -m ec2fleet_emulator [--host H] [--port 0] [--profile FILE] [--no-strict] [--exit-with-stdin]
Prints the bound port on stdout (first line) and serves until SIGTERM/SIGINT."""
import argparse
import json
import os
import signal
import sys
import threading


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ec2fleet_emulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("EC2FLEET_EMULATOR_PORT", 0)))
    ap.add_argument("--profile", help="profile JSON file")
    ap.add_argument("--no-strict", action="store_true", help="allow AWS-illegal deletes (plain moto)")
    ap.add_argument("--pid-file")
    ap.add_argument("--exit-with-stdin", action="store_true",
                    help="stop when stdin closes: a test process that dies cannot leave us running")
    args = ap.parse_args(argv)

    from .server import Emulator, load_profile
    prof = load_profile(args.profile)
    if args.no_strict:
        raw = dict(prof.raw, strict=False)
        prof = type(prof)(raw)
    emu = Emulator(args.host, args.port, prof.raw).start(wait_ready=False)
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    print(emu.port, flush=True)
    print(json.dumps({"url": emu.url, "pid": os.getpid()}), file=sys.stderr, flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    if args.exit_with_stdin:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    emu.stop()


if __name__ == "__main__":
    main()
