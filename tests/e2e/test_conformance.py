"""Provider conformance, in the spirit of Pulumi's provider test kit (pulumi/providertest): the example
fleet in every language through its whole life, the same inputs from every SDK, and an old release's
state under the new binary."""

import json
import re
import shutil

import pytest

from conftest import ROOT, VERSION, Pulumi, base_env, plugin_archive
from programs import LANGUAGES, grpc_calls, program

FLEET = "ec2fleet:index:Ec2Fleet"
# A property line of `--diff` output: `~ instanceType: "t3.micro" => "t3.small"`. Resource lines
# (`~ ec2fleet:index:Ec2Fleet: (update)`) have a token, not a name, before their colon.
DIFF_LINE = re.compile(r"^\s*([-+~]) (\w+): ", re.M)


def changed_properties(preview_text):
    return sorted({m.group(2) for m in DIFF_LINE.finditer(preview_text)})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lifecycle(lang, tmp_path, emulator_url, account, control, profile):
    profile({"readiness": {"elbv2.target": 1}})
    p = program(lang, tmp_path, emulator_url, account)

    p.op("up")
    outputs = json.loads(p.run("stack", "output", "--json").stdout)
    assert outputs["url"].startswith("https://") and outputs["url"].endswith(".cloudfront.net"), outputs
    assert outputs["deploymentStatus"] == "Succeeded" and outputs["assetCount"] == 2, outputs
    assert outputs["environmentPath"].startswith("/ec2fleet/") and outputs["sourceBucket"].endswith("-source")
    p.op("preview", expect_no_changes=True)

    # One changed property: the diff shows it and nothing else, and `up` applies it in place.
    p.run("config", "set", "instanceType", "t3.small")
    diff = p.op("preview", diff=True).stdout
    assert changed_properties(diff) == ["instanceType"], diff
    assert '"t3.micro" => "t3.small"' in diff, diff
    assert "replace" not in diff.split("Resources:")[-1], diff
    p.op("up")
    after = json.loads(p.run("stack", "output", "--json").stdout)
    assert after["url"] == outputs["url"] and after["deploymentStatus"] == "Succeeded", after
    fleet = next(r for r in json.loads(p.run("stack", "export").stdout)["deployment"]["resources"]
                 if r["type"] == FLEET)
    assert fleet["outputs"]["instanceType"] == "t3.small", fleet["outputs"]["instanceType"]
    p.op("preview", expect_no_changes=True)
    p.op("refresh", expect_no_changes=True)

    p.op("destroy")
    report = control.leaks(account)
    assert report["count"] == 0 and not report["errors"], report


def fleet_check(log):
    """The engine's Check of the fleet: its request's inputs and the provider's answer."""
    checks = [c for c in grpc_calls(log, "ResourceProvider/Check") if c["request"]["urn"].endswith(f"{FLEET}::web")]
    assert checks, f"no Check of the fleet in {log}"
    return checks[-1]


def with_schema_defaults(inputs, props, types):
    """inputs with the schema's defaults filled in, as the generated SDKs fill them (pulumi-yaml
    sends only what the program says), nested named types included."""
    out = dict(inputs)
    for name, prop in props.items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
        ref = prop.get("$ref", "").removeprefix("#/types/")
        if ref in types and isinstance(out.get(name), dict):
            out[name] = with_schema_defaults(out[name], types[ref]["properties"], types)
    return out


def test_every_language_sends_the_provider_the_same_inputs(tmp_path, emulator_url, account):
    checks = {}
    for lang in LANGUAGES:
        log = tmp_path / f"{lang}.grpc.json"
        program(lang, tmp_path / lang, emulator_url, account, grpc_log=log).op("preview")
        checks[lang] = fleet_check(log)
        # Each SDK asks the engine for the plugin at its own version, which is this build's.
        if lang != "yaml":
            [fleet] = [c for c in grpc_calls(log, "ResourceMonitor/RegisterResource")
                       if c["request"]["type"] == FLEET]
            assert fleet["request"]["version"] == VERSION, (lang, fleet["request"].get("version"))
    # Where the program leaves a default out, the SDKs differ in what they fill in client-side:
    # pulumi-yaml nothing, Python the resource's own defaults (a nested type's only through its
    # Args class, not from a dict), TypeScript and Go nested ones too. With the schema's defaults
    # filled in, every language sends the same inputs.
    schema = json.loads((ROOT / "sdk-schema" / "schema.json").read_text())
    props, types = schema["resources"][FLEET]["inputProperties"], schema["types"]
    sent = {lang: with_schema_defaults(c["request"]["news"], props, types) for lang, c in checks.items()}
    for lang in LANGUAGES:
        assert sent[lang] == sent["yaml"], f"{lang} sends other inputs than yaml"
    # And the provider answers every language alike, but for the auto-name each stack draws anew.
    answers = {lang: dict(c["response"]["inputs"]) for lang, c in checks.items()}
    for lang, answer in answers.items():
        assert re.fullmatch(r"web-[0-9a-f]{7}", answer.pop("namePrefix")), answer
        assert answer == answers["yaml"], f"{lang}: Check answers otherwise than for yaml"
        assert not checks[lang]["response"].get("failures"), checks[lang]["response"]


def test_an_old_releases_state_previews_with_no_changes(tmp_path, emulator_url, account):
    fixture = ROOT / "tests" / "e2e" / "fixtures" / "upgrade"
    recorded = dict(line.split(" ", 1) for line in (fixture / "RECORDED").read_text().splitlines())
    assert recorded["version"] != VERSION, "the fixture comes from the release before this version"

    def ours(text):  # the test bed's URL and account, not the provider's business
        return text.replace(recorded["emulator"], emulator_url).replace(recorded["account"], account)

    proj = tmp_path / "proj"
    shutil.copytree(fixture, proj, ignore=shutil.ignore_patterns("state.json", "Pulumi.dev.yaml", "*.py", "RECORDED"))
    p = Pulumi(proj, base_env(tmp_path))
    p.init_stack(plugin_archive())
    (proj / "Pulumi.dev.yaml").write_text(ours((fixture / "Pulumi.dev.yaml").read_text()))
    (tmp_path / "state.json").write_text(ours((fixture / "state.json").read_text()))
    p.run("stack", "import", "--file", str(tmp_path / "state.json"))

    preview = p.run("preview", "--non-interactive", "--diff", "--expect-no-changes")
    assert "replace" not in preview.stdout, preview.stdout
