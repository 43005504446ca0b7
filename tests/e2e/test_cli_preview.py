"""`pulumi preview` and `pulumi package get-schema` with the real CLI and our plugin."""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]

FLEET = "ec2fleet:index:Ec2Fleet"


def offline_config(p):
    p.run("config", "set", "ec2fleet:region", "us-east-1")
    p.run("config", "set", "ec2fleet:skipCredentialsValidation", "true")


def fleet_step(preview):
    steps = [s for s in preview["steps"] if s["urn"].endswith(f"{FLEET}::web")]
    assert len(steps) == 1, preview["steps"]
    return steps[0]


def test_preview_plans_the_fleet_with_defaults_and_unknown_outputs(pulumi):
    offline_config(pulumi)
    step = fleet_step(pulumi.preview_json())
    assert step["op"] == "create"
    inputs = step["newState"]["inputs"]
    assert inputs["appPort"] == 3000 and inputs["vpcCidr"] == "10.0.0.0/16"
    assert inputs["healthCheck"]["path"] == "/health" and inputs["healthCheck"]["intervalSeconds"] == 10
    assert inputs["namePrefix"].startswith("web-"), inputs["namePrefix"]
    human = pulumi.run("preview", "--non-interactive").stdout
    assert f"+  {FLEET} web create" in human, human
    assert "planning the fleet" in human, "the provider's progress line should reach the CLI"


def test_bad_inputs_stop_the_preview_naming_the_property(pulumi):
    offline_config(pulumi)
    program = (pulumi.cwd / "Pulumi.yaml").read_text().replace("appPort: 3000", "appPort: 3000\n      vpcCidr: 10.0.0.1/16")
    (pulumi.cwd / "Pulumi.yaml").write_text(program)
    out = pulumi.run("preview", "--non-interactive", check=False)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "vpcCidr" in text and "did you mean 10.0.0.0/16" in text, text


def test_a_missing_region_is_reported_with_how_to_set_it(pulumi):
    pulumi.run("config", "set", "ec2fleet:skipCredentialsValidation", "true")
    out = pulumi.run("preview", "--non-interactive", check=False)
    assert out.returncode != 0
    assert "pulumi config set ec2fleet:region" in out.stdout + out.stderr


def test_get_schema_returns_the_committed_schema(pulumi):
    got = json.loads(pulumi.run("package", "get-schema", "ec2fleet").stdout)
    assert got == json.loads((ROOT / "sdk-schema" / "schema.json").read_text())
