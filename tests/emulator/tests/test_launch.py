"""run.sh and profile files."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from ec2fleet_emulator.client import client
from ec2fleet_emulator.server import load_profile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_run_sh_starts_in_background_with_pid_file(tmp_path):
    env = dict(os.environ, EC2FLEET_EMULATOR_PID=str(tmp_path / "emu.pid"), EC2FLEET_EMULATOR_LOG=str(tmp_path / "emu.log"),
               EC2FLEET_CACHE=os.environ.get("EC2FLEET_CACHE", os.path.expanduser("~/.cache/ec2fleet")))
    out = subprocess.run([os.path.join(HERE, "run.sh"), "--profile", os.path.join(HERE, "profiles", "flaky.json")],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    pid = int((tmp_path / "emu.pid").read_text())
    try:
        assert url.startswith("http://127.0.0.1:")
        prof = json.load(urllib.request.urlopen(url + "/_ec2fleet/profile"))
        assert prof["seed"] == 11
        assert client("sts", url).get_caller_identity()["Account"]
    finally:
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("emulator did not stop on SIGTERM")


def test_shipped_profiles_are_valid():
    for name in os.listdir(os.path.join(HERE, "profiles")):
        load_profile(os.path.join(HERE, "profiles", name))


def test_cli_no_strict_flag():
    proc = subprocess.Popen([sys.executable, "-m", "ec2fleet_emulator", "--no-strict"], cwd=HERE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        assert json.load(urllib.request.urlopen(url + "/_ec2fleet/profile"))["strict"] is False
    finally:
        proc.terminate()
        proc.wait(10)
