"""The committed SDKs are what Pulumi's generators make of the committed schema, and one version runs
through Cargo, the schema, every SDK and the plugin each SDK asks the engine for."""

import json
import pathlib
import re
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]


def tracked(tree):
    """The files git would keep under tree: the generators' .gitignore files leave out build output."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "."], cwd=tree,
                         capture_output=True, text=True, check=True).stdout
    return {line for line in out.splitlines() if line}


def test_the_committed_sdks_are_what_the_generators_make_of_the_schema(tmp_path):
    out = tmp_path / "sdk"
    subprocess.run([str(ROOT / "scripts" / "sdks.sh"), str(out)], check=True, capture_output=True, text=True)
    # A scratch repository, so the same ignore rules pick the files on both sides.
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    fresh = tracked(out)
    committed = tracked(SDK)
    assert fresh == committed, f"run `make sdks`: only fresh {sorted(fresh - committed)}, " \
                               f"only committed {sorted(committed - fresh)}"
    stale = [f for f in sorted(fresh) if (out / f).read_bytes() != (SDK / f).read_bytes()]
    assert not stale, f"run `make sdks`: stale {stale}"


def test_one_version_from_cargo_to_the_plugin_each_sdk_asks_for():
    schema = json.loads((ROOT / "sdk-schema" / "schema.json").read_text())
    assert schema["version"] == VERSION
    package = json.loads((SDK / "nodejs" / "package.json").read_text())
    assert package["version"] == VERSION and package["pulumi"] == {"resource": True, "name": "ec2fleet",
                                                                   "version": VERSION}
    pyproject = tomllib.loads((SDK / "python" / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == VERSION
    for plugin_json in [SDK / "python" / "pulumi_ec2fleet" / "pulumi-plugin.json",
                        SDK / "go" / "ec2fleet" / "pulumi-plugin.json"]:
        assert json.loads(plugin_json.read_text()) == {"resource": True, "name": "ec2fleet", "version": VERSION}
    # The Go SDK passes the version on every resource it registers.
    go = (SDK / "go" / "ec2fleet" / "internal" / "pulumiUtilities.go").read_text()
    assert re.findall(r'semver\.MustParse\("([^"]+)"\)', go) == [VERSION, VERSION], go


def test_the_examples_install_this_version():
    named = {}
    for path in sorted((ROOT / "examples").glob("*/*")):
        if path.is_file() and path.suffix in {".md", ".json", ".mod"}:
            for v in re.findall(r"(?:ec2fleet-v|ec2fleet |ec2fleet-ec2fleet-|pulumi-ec2fleet/sdk/go v)(\d+\.\d+\.\d+)", path.read_text()):
                named.setdefault(v, []).append(path.relative_to(ROOT).as_posix())
    assert list(named) == [VERSION], named


def test_the_python_sdist_installs_as_this_version(tmp_path):
    # The wheel is what the conformance suite installs; the sdist must build and install the same package.
    dist = ROOT / "dist"
    [sdist] = dist.glob(f"pulumi_ec2fleet-{VERSION}.tar.gz") or [None]
    assert sdist, f"no dist/pulumi_ec2fleet-{VERSION}.tar.gz: run `make dist` (make test does)"
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    pip = tmp_path / "venv" / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "--no-deps", str(sdist)], check=True, capture_output=True)
    shown = subprocess.run([str(pip), "show", "-f", "pulumi_ec2fleet"], check=True, capture_output=True,
                           text=True).stdout
    assert f"Version: {VERSION}" in shown and "pulumi_ec2fleet/pulumi-plugin.json" in shown, shown
