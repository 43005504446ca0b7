"""The example app's environment loader (examples/app/scripts/load-env.sh) as a CodeDeploy hook
runs it, with a stand-in `aws` CLI that answers GetParametersByPath the way SSM does."""

import json
import os
import pathlib
import stat
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "app" / "scripts" / "load-env.sh"
SECRET = 'p@ss "word" $HOME `id` back\\slash\nsecond line'


def _fake_aws(bin_dir, answer, log):
    fake = bin_dir / "aws"
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        f"print({json.dumps(json.dumps(answer))})\n"
    )
    fake.chmod(0o755)


def _run(tmp_path, answer):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aws-args.json"
    _fake_aws(bin_dir, answer, log)
    out = tmp_path / "etc" / "app.env"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "APPLICATION_NAME": "shop-app",
           "AWS_REGION": "eu-west-2", "EC2FLEET_ENV_FILE": str(out)}
    p = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    return p, out, json.loads(log.read_text())


def _param(name, value):
    return {"Name": name, "Type": "SecureString", "Value": value, "Version": 1}


def test_the_loader_writes_the_fleets_parameters_root_only_and_never_echoes_a_value(tmp_path):
    answer = {"Parameters": [
        _param("/ec2fleet/shop/env/DB_PASSWORD", SECRET),
        _param("/ec2fleet/shop/env/PORT", "8080"),
        _param("/ec2fleet/shop/envelope/OTHER", "not ours"),
    ]}
    p, out, args = _run(tmp_path, answer)
    assert p.returncode == 0, p.stderr
    assert args == ["ssm", "get-parameters-by-path", "--region", "eu-west-2", "--path",
                    "/ec2fleet/shop/env", "--with-decryption", "--output", "json"]
    text = out.read_text()
    assert text == ('DB_PASSWORD="p@ss \\"word\\" \\$HOME \\`id\\` back\\\\slash\nsecond line"\n'
                    'PORT="8080"\n')
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "p@ss" not in p.stdout + p.stderr
    assert list(out.parent.iterdir()) == [out], "no temporary file is left beside it"
    # ValidateService reads the port the same file sets.
    port = subprocess.run(["sed", "-n", 's/^PORT="\\{0,1\\}\\([0-9]*\\)"\\{0,1\\}$/\\1/p', str(out)],
                          capture_output=True, text=True).stdout.strip()
    assert port == "8080"


def test_no_parameters_leave_an_empty_file_and_a_failed_read_keeps_the_old_one(tmp_path):
    p, out, _ = _run(tmp_path, {"Parameters": []})
    assert p.returncode == 0, p.stderr
    assert out.read_text() == ""
    out.write_text('KEPT="1"\n')
    (tmp_path / "bin" / "aws").write_text("#!/bin/sh\necho 'AccessDeniedException' >&2\nexit 254\n")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "APPLICATION_NAME": "shop-app",
           "AWS_REGION": "eu-west-2", "EC2FLEET_ENV_FILE": str(out)}
    failed = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0, "a hook that cannot read the environment fails the deployment"
    assert out.read_text() == 'KEPT="1"\n'
    assert list(out.parent.iterdir()) == [out]
