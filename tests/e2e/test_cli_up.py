"""`pulumi up`, `refresh` and `destroy` of the example fleet with the real CLI, against the emulator."""

import json

import yaml

from conftest import SESSION_SECRET, Pulumi

SERVICES = ["acm", "autoscaling", "cloudfront", "cloudtrail", "codedeploy", "codepipeline", "ec2", "elbv2", "events",
            "iam", "logs", "route53", "s3", "ssm", "sts"]


def emulator_config(p, url, account):
    """Stack config pointing every service at the emulator, in `account`."""
    cfg = {"config": {
        "ec2fleet:region": "us-east-1",
        "ec2fleet:accessKey": account,
        "ec2fleet:secretKey": "test",
        "ec2fleet:endpoints": {s: url for s in SERVICES},
    }}
    path = p.cwd / "Pulumi.dev.yaml"
    have = yaml.safe_load(path.read_text()) if path.exists() else {}
    have = have or {}
    have.setdefault("config", {}).update(cfg["config"])
    path.write_text(yaml.safe_dump(have))


def test_up_refresh_destroy_builds_the_fleet_shows_progress_and_leaves_nothing(pulumi, emulator_url, control, account,
                                                                                profile, aws):
    emulator_config(pulumi, emulator_url, account)
    # Targets take a moment to turn healthy, so the provider's wait (and its progress line) shows.
    profile({"readiness": {"elbv2.target": 2}})

    up = pulumi.run("up", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    text = up.stdout + up.stderr
    assert "+ 2 created" in text, text  # the stack and the fleet
    assert "waiting for 3 healthy target(s)" in text, text
    assert "is serving: 32 sub-resources" in text, text
    outputs = json.loads(pulumi.run("stack", "output", "--json").stdout)
    assert outputs["url"].startswith("https://") and outputs["url"].endswith(".cloudfront.net"), outputs
    assert outputs["sourceBucket"].endswith("-source"), outputs
    # examples/app is released and followed to the end; its public/ folder is in the asset bucket.
    assert outputs["deploymentStatus"] == "Succeeded" and outputs["deploymentId"].startswith("d-"), outputs
    assert outputs["assetCount"] == 2, outputs
    assert "deploying release" in text, text
    assert control.leaks(account)["count"] > 0, "the fleet exists in the emulator"

    # State keeps the records and the origin secret, the secret encrypted.
    state = json.loads(pulumi.run("stack", "export").stdout)
    fleet = next(r for r in state["deployment"]["resources"] if r["type"] == "ec2fleet:index:Ec2Fleet")
    assert "vpc" in fleet["outputs"]["__fleet"] and fleet["outputs"]["vpcId"].startswith("vpc-")
    assert fleet["outputs"]["__originSecret"].get("ciphertext"), fleet["outputs"]["__originSecret"]
    # The environment is a SecureString the instances' role reads; its value is nowhere in plain text.
    assert outputs["environmentPath"] == f"/ec2fleet/{fleet['outputs']['namePrefix']}/env", outputs
    assert fleet["inputs"]["environment"].get("ciphertext") and fleet["outputs"]["environment"].get("ciphertext")
    assert SESSION_SECRET not in json.dumps(state) and SESSION_SECRET not in text
    name = outputs["environmentPath"] + "/SESSION_SECRET"
    param = aws("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert param["Type"] == "SecureString" and param["Value"] == SESSION_SECRET, param

    pulumi.run("refresh", "--yes", "--non-interactive", "--expect-no-changes")
    pulumi.run("preview", "--non-interactive", "--expect-no-changes")

    # One changed app file: the preview shows the release changing, and `up` rolls it out.
    server = pulumi.cwd.parent / "app" / "server.js"
    server.write_text(server.read_text() + "// v2\n")
    assert "release" in pulumi.run("preview", "--non-interactive", "--diff").stdout
    since = max((c["seq"] for c in control.calls(account=account)), default=0)
    pulumi.run("up", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    after = json.loads(pulumi.run("stack", "output", "--json").stdout)
    assert after["releaseVersion"] != outputs["releaseVersion"], after
    assert after["deploymentId"] != outputs["deploymentId"] and after["deploymentStatus"] == "Succeeded", after
    puts = control.calls(account=account, operation="PutObject", since=since)
    assert len(puts) == 1, puts  # the release only: the assets did not change

    down = pulumi.run("destroy", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    assert "sub-resources deleted" in down.stdout + down.stderr, down.stdout
    report = control.leaks(account)
    assert report["count"] == 0 and not report["errors"], report


def test_import_by_name_prefix_adopts_a_fleet_that_a_destroy_then_removes(pulumi, emulator_url, control, account,
                                                                          tmp_path):
    emulator_config(pulumi, emulator_url, account)
    pulumi.run("up", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    state = json.loads(pulumi.run("stack", "export").stdout)
    made = next(r for r in state["deployment"]["resources"] if r["type"] == "ec2fleet:index:Ec2Fleet")
    prefix = made["outputs"]["namePrefix"]

    # Another project with no resources of its own imports the fleet by its ID, the name prefix.
    other = Pulumi(tmp_path / "other", pulumi.env)
    other.cwd.mkdir()
    (other.cwd / "Pulumi.yaml").write_text("name: adopter\nruntime: yaml\nresources: {}\n")
    other.run("stack", "init", "dev", "--non-interactive")
    emulator_config(other, emulator_url, account)
    out = other.run("import", "ec2fleet:index:Ec2Fleet", "web", prefix, "--yes", "--non-interactive",
                    "--protect=false", "--generate-code=false", timeout=600)
    assert "1 imported" in out.stdout, out.stdout
    imported = json.loads(other.run("stack", "export").stdout)
    fleet = next(r for r in imported["deployment"]["resources"] if r["type"] == "ec2fleet:index:Ec2Fleet")
    assert fleet["outputs"]["vpcId"] == made["outputs"]["vpcId"]
    assert fleet["outputs"]["__fleet"] == made["outputs"]["__fleet"]
    assert fleet["inputs"]["healthCheck"]["path"] == "/health"
    assert fleet["inputs"]["sshIngressCidrs"] == ["203.0.113.0/24"]
    assert fleet["inputs"]["environment"].get("ciphertext"), "the environment is imported, as a secret"

    # The importer deletes it; the original stack's refresh then sees it gone.
    other.run("destroy", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    report = control.leaks(account)
    assert report["count"] == 0 and not report["errors"], report
    refreshed = pulumi.run("refresh", "--yes", "--non-interactive")
    assert "1 deleted" in refreshed.stdout, refreshed.stdout
