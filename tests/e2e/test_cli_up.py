"""`pulumi up`, `refresh` and `destroy` of the example fleet with the real CLI, against the emulator."""

import json

import yaml

SERVICES = ["autoscaling", "cloudfront", "cloudtrail", "codedeploy", "codepipeline", "ec2", "elbv2", "events",
            "iam", "logs", "route53", "s3", "ssm", "sts"]


def emulator_config(p, url, account):
    """Stack config pointing every service at the emulator, in `account`."""
    cfg = {"config": {
        "ec2fleet:region": "us-east-1",
        "ec2fleet:accessKey": account,
        "ec2fleet:secretKey": "test",
        "ec2fleet:endpoints": {s: url for s in SERVICES},
    }}
    (p.cwd / "Pulumi.dev.yaml").write_text(yaml.safe_dump(cfg))


def test_up_refresh_destroy_builds_the_fleet_shows_progress_and_leaves_nothing(pulumi, emulator_url, control, account,
                                                                                profile):
    emulator_config(pulumi, emulator_url, account)
    # Targets take a moment to turn healthy, so the provider's wait (and its progress line) shows.
    profile({"readiness": {"elbv2.target": 2}})

    up = pulumi.run("up", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    text = up.stdout + up.stderr
    assert "+ 2 created" in text, text  # the stack and the fleet
    assert "waiting for 3 healthy target(s)" in text, text
    assert "is serving: 29 sub-resources" in text, text
    outputs = json.loads(pulumi.run("stack", "output", "--json").stdout)
    assert outputs["url"].startswith("https://") and outputs["url"].endswith(".cloudfront.net"), outputs
    assert outputs["sourceBucket"].endswith("-source"), outputs
    assert control.leaks(account)["count"] > 0, "the fleet exists in the emulator"

    # State keeps the records and the origin secret, the secret encrypted.
    state = json.loads(pulumi.run("stack", "export").stdout)
    fleet = next(r for r in state["deployment"]["resources"] if r["type"] == "ec2fleet:index:Ec2Fleet")
    assert "vpc" in fleet["outputs"]["__fleet"] and fleet["outputs"]["vpcId"].startswith("vpc-")
    assert fleet["outputs"]["__originSecret"].get("ciphertext"), fleet["outputs"]["__originSecret"]

    pulumi.run("refresh", "--yes", "--non-interactive", "--expect-no-changes")
    pulumi.run("preview", "--non-interactive", "--expect-no-changes")

    down = pulumi.run("destroy", "--yes", "--non-interactive", "--skip-preview", timeout=600)
    assert "sub-resources deleted" in down.stdout + down.stderr, down.stdout
    report = control.leaks(account)
    assert report["count"] == 0 and not report["errors"], report
