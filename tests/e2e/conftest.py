"""The real Pulumi CLI (built by scripts/bootstrap.sh) driving our provider, offline and isolated:
a private PULUMI_HOME with the plugin installed, a file backend, no plugin downloads."""

import json
import os
import pathlib
import shutil
import subprocess
import tarfile

import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from ec2fleet_emulator.pytest_plugin import account, aws, control, emulator_url, profile  # noqa: E402,F401
VERSION = next(l.split('"')[1] for l in (ROOT / "Cargo.toml").read_text().splitlines() if l.startswith("version"))


SESSION_SECRET = "e2e-session-4f1c9a"
DIST = ROOT / "dist"


def artefact(pattern):
    """The one file of dist/ (written by scripts/dist.sh) matching pattern."""
    found = sorted(DIST.glob(pattern))
    assert len(found) == 1, f"want one dist/{pattern}, found {found}: run `make dist` (make test does)"
    return found[0]


def plugin_archive():
    """The plugin as users install it: the archive `make dist` names the Pulumi way, holding the
    binary under test (so a stale dist/ fails here rather than testing an old build)."""
    archive = artefact(f"pulumi-resource-ec2fleet-v{VERSION}-*.tar.gz")
    provider = _required_path("EC2FLEET_PROVIDER", "run through `make test` (it builds the provider)")
    with tarfile.open(archive) as tar:
        packed = tar.extractfile("pulumi-resource-ec2fleet").read()
    assert packed == provider.read_bytes(), f"{archive} holds another build than {provider}: run `make dist`"
    return archive


def _required_path(var, hint):
    value = os.environ.get(var)
    assert value and pathlib.Path(value).exists(), f"{var} is not set to an existing path; {hint}"
    return pathlib.Path(value)


def run(cmd, cwd, env, timeout=600, check=True):
    """Runs cmd, its output captured; with check, a failure is an assertion showing that output."""
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class Pulumi:
    """Runs pulumi commands in one project directory with an isolated environment."""

    def __init__(self, workdir, env):
        self.cwd = workdir
        self.env = env

    def run(self, *args, check=True, timeout=300):
        return run(["pulumi", *args], self.cwd, self.env, timeout, check)

    def init_stack(self, plugin, version=VERSION):
        """Installs the plugin from `plugin` (a binary or an archive) and makes the stack `dev`."""
        self.run("plugin", "install", "resource", "ec2fleet", version, "--file", str(plugin))
        self.run("stack", "init", "dev", "--non-interactive")

    def preview_json(self):
        return json.loads(self.run("preview", "--non-interactive", "--json").stdout)


def base_env(root):
    """The CLI on PATH, offline and isolated: its own PULUMI_HOME and file backend (made under root),
    no AWS settings."""
    bindir = _required_path("EC2FLEET_PULUMI_BIN", "run through `make test` (scripts/bootstrap.sh builds the CLI)")
    home, state = root / "home", root / "state"
    home.mkdir(parents=True), state.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env.update(
        PATH=f"{bindir}:{env['PATH']}",
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=f"file://{state}",
        PULUMI_CONFIG_PASSPHRASE="e2e",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_UPDATE_CHECK="true",
    )
    return env


@pytest.fixture
def pulumi(tmp_path):
    """A stack `dev` of a copy of examples/fleet (and beside it examples/app, which it releases), with
    the provider installed from this build."""
    proj = tmp_path / "proj"
    shutil.copytree(ROOT / "examples" / "fleet", proj)
    shutil.copytree(ROOT / "examples" / "app", tmp_path / "app")  # the fleet's release and assets
    p = Pulumi(proj, base_env(tmp_path))
    p.init_stack(plugin_archive())
    # The example's one required setting: its app's session secret (the fleet's `environment`).
    p.run("config", "set", "--secret", "sessionSecret", SESSION_SECRET)
    return p
