"""The example fleet in each language, set up as a user would from the packaged artefacts (dist/): the
plugin archive, the npm tarball, the Python wheel, the Go module, and run by the real CLI (Go through the
Automation API, which needs no language host)."""

import json
import pathlib
import shutil
import sys

from conftest import ROOT, SESSION_SECRET, Pulumi, artefact, base_env, plugin_archive, run
from test_cli_up import emulator_config

LANGUAGES = ["yaml", "typescript", "python", "go"]
EXAMPLE_DIR = {"yaml": "fleet", "typescript": "typescript", "python": "python", "go": "go"}


class Program(Pulumi):
    """A language's example in its own project. `op` runs up/preview/refresh/destroy the way that
    language runs here; everything else (config, stack output, export) is the CLI's."""

    def __init__(self, workdir, env, driver=None):
        super().__init__(workdir, env)
        self.driver = driver  # the Go example's binary

    def op(self, name, *, diff=False, expect_no_changes=False, timeout=600):
        if self.driver:
            env = dict(self.env)
            if expect_no_changes:
                env["EC2FLEET_EXPECT_NO_CHANGES"] = "1"
            return run([self.driver, "dev", name], self.cwd, env, timeout)
        args = [name, "--non-interactive"]
        if name != "preview":
            args += ["--yes", "--skip-preview"]
        if diff:
            args.append("--diff")
        if expect_no_changes:
            args.append("--expect-no-changes")
        return self.run(*args, timeout=timeout)


def _prepare_typescript(proj, env):
    pkg = json.loads((proj / "package.json").read_text())
    pkg["dependencies"]["@ec2fleet/ec2fleet"] = f"file:{artefact('ec2fleet-ec2fleet-*.tgz')}"
    (proj / "package.json").write_text(json.dumps(pkg, indent=2))
    run(["npm", "install", "--no-audit", "--no-fund", "--silent"], proj, env)


def _prepare_python(proj, env):
    run([sys.executable, "-m", "venv", "venv"], proj, env)
    run([proj / "venv" / "bin" / "pip", "install", "-q", "pulumi==3.272.0", artefact("pulumi_ec2fleet-*.whl")], proj, env)
    # The python host built here (sdk v3.68.0) predates reading `virtualenv` from the engine, so the
    # venv is activated, as a user of that host would.
    env["PATH"] = f"{proj / 'venv' / 'bin'}:{env['PATH']}"
    env["VIRTUAL_ENV"] = str(proj / "venv")


def _prepare_go(proj, env):
    run(["go", "mod", "edit", f"-replace=github.com/ec2fleet/pulumi-ec2fleet/sdk/go={ROOT / 'sdk' / 'go'}"], proj, env)
    run(["go", "build", "-o", "ec2fleet-example", "."], proj, env)
    return proj / "ec2fleet-example"


def program(lang, tmp_path, emulator_url, account, grpc_log=None):
    """A stack `dev` of the language's example beside a copy of examples/app, with the plugin installed
    from its archive, the stack pointed at the emulator and the session secret set."""
    proj = tmp_path / lang
    env = base_env(tmp_path)
    shutil.copytree(ROOT / "examples" / EXAMPLE_DIR[lang], proj,
                    ignore=shutil.ignore_patterns("node_modules", "venv", "ec2fleet-example"))
    if not (tmp_path / "app").exists():
        shutil.copytree(ROOT / "examples" / "app", tmp_path / "app")
    if grpc_log:
        env["PULUMI_DEBUG_GRPC"] = str(grpc_log)
    driver = {"typescript": _prepare_typescript, "python": _prepare_python, "go": _prepare_go}.get(
        lang, lambda *_: None)(proj, env)
    p = Program(proj, env, driver)
    p.init_stack(plugin_archive())
    p.run("config", "set", "--secret", "sessionSecret", SESSION_SECRET)
    emulator_config(p, emulator_url, account)
    return p


def grpc_calls(path, method):
    """The completed calls of one method ("ResourceProvider/Check") from a PULUMI_DEBUG_GRPC log,
    which writes a line as a call starts and another, with its response, as it completes."""
    calls = []
    for line in pathlib.Path(path).read_text().splitlines():
        entry = json.loads(line)
        if entry.get("method") == f"/pulumirpc.{method}" and "response" in entry:
            calls.append(entry)
    return calls
