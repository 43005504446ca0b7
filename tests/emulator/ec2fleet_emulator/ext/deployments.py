"""CodeDeploy deployments that walk the group's instances. moto records a deployment and leaves
it "Created" forever; here an EC2/on-premises in-place deployment goes over the InService
instances of the group's Auto Scaling groups in batches sized by the deployment config's minimum
healthy hosts, each instance through the lifecycle events (the traffic events too when the group
has a load balancer), each event lasting the profile's `codedeploy.lifecycle_event` seconds on the
readiness clock.

The profile's `hook_failures` make an event fail on an instance the way the agent reports a
script's failure (ScriptFailed, the script's location from the appspec.yml of the bundle, or of
the revision last installed on the instance for ApplicationStop and the block-traffic hooks, the
agent's log tail). When too many instances fail for the config, the deployment fails with AWS's
HEALTH_CONSTRAINTS words, and when automatic rollback covers DEPLOYMENT_FAILURE, a rollback
deployment (creator codeDeployRollback) redeploys the group's last successful revision. ListDeploymentTargets and
BatchGetDeploymentTargets (missing in moto) report each instance's lifecycle events.

Everything is computed from the deployment's start time and the clock, so advancing the clock
moves a deployment on; the few things that happen at a moment (a rollback starting) are made by
`pump`, which every CodeDeploy and CodePipeline call runs first (pipeline_runs.py)."""
import datetime
import io
import math
import random
import string
import threading
import zipfile

import yaml
from moto.autoscaling.models import autoscaling_backends
from moto.codedeploy.models import codedeploy_backends
from moto.codedeploy.responses import _deployment_info
from moto.s3.models import s3_backends

from . import pre
from ..awsresp import AwsError
from ..state import STATE
from .codedeploy import BUILTIN_CONFIGS

BLOCK = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
BUNDLE = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
          "ApplicationStart", "ValidateService"]
ALLOW = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
# Events the agent runs itself rather than appspec scripts.
AGENT_EVENTS = {"DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"}
# Hooks whose scripts come from the revision last installed on the instance: none on a new instance.
FROM_PREVIOUS = {"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"}
HEALTH_CONSTRAINTS = (
    "HEALTH_CONSTRAINTS",
    "The overall deployment failed because too many individual instances failed deployment, too few "
    "healthy instances are available for deployment, or some instances in your deployment group are "
    "experiencing problems.")
NO_INSTANCES = (
    "NO_INSTANCES",
    "The deployment failed because no instances were found for your deployment group. Check your "
    "deployment group settings to make sure the tags for your Amazon EC2 instances or Auto Scaling "
    "groups correctly identify the instances you want to deploy to, and then try again.")
TARGETS_PER_BATCH_GET = 25

_lock = threading.RLock()
_walks = {}  # (account, region, deployment id) -> Walk
_nth = {}  # account -> how many deployments (rollbacks aside) it has made
STATE.on_reset(lambda: (_walks.clear(), _nth.clear()))


def _at(t):
    return datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)


def _deployment_id():
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


def _capacity(config_name, n):
    """(instances deployed at once, successes the deployment needs) from the config's minimum
    healthy hosts, or None when the minimum is already all n instances, which AWS fails at once
    (instances-health). A percentage rounds up to whole instances (so HalfAtATime deploys half,
    rounded down, at a time); a deployment needs at least one success and n - batch of them, which
    is what lets AllAtOnce succeed when any instance succeeds. OneAtATime (MOST_CONCURRENCY 1)
    keeps all but one instance healthy, so only a failure of the last instance leaves it standing."""
    healthy = BUILTIN_CONFIGS.get(config_name, BUILTIN_CONFIGS["CodeDeployDefault.OneAtATime"])["minimumHealthyHosts"]
    value = healthy["value"]
    if healthy["type"] == "MOST_CONCURRENCY":
        return value, max(1, n - value)
    keep = value if healthy["type"] == "HOST_COUNT" else math.ceil(n * value / 100)
    if keep >= n:
        return None
    batch = n - keep
    return batch, max(1, n - batch)


def _appspec(account, revision):
    """The bundle's appspec.yml hooks as {event: [(location, runas or None)]}, {} when unreadable."""
    loc = (revision or {}).get("s3Location") or {}
    try:
        key = s3_backends[account]["aws"].get_object(loc["bucket"], loc["key"], loc.get("version"))
        with zipfile.ZipFile(io.BytesIO(key.value)) as z:
            spec = yaml.safe_load(z.read("appspec.yml")) or {}
        return {event: [(s.get("location", ""), s.get("runas")) for s in scripts or []]
                for event, scripts in (spec.get("hooks") or {}).items()}
    except Exception:
        return {}


def _log_tail(event, location, rule):
    """The agent's log tail: the event, the script, then its output lines tagged by stream."""
    lines = [f"LifecycleEvent - {event}", f"Script - {location}"]
    for stream in ("stdout", "stderr"):
        lines += [f"[{stream}]{line}" for line in str(rule.get(stream, "")).splitlines()]
    return "\n".join(lines) + "\n"


class Walk:
    """One deployment's course over its instances."""

    def __init__(self, account, region, dep, start, rollback_of=None):
        self.account, self.region, self.dep, self.start = account, region, dep, start
        self.rollback_of = rollback_of
        self.rollback_id = None
        group = dep.deployment_group
        members = [s.instance.id for name in group.auto_scaling_groups for s in _asg_instances(account, region, name)]
        # CodeDeploy deploys to unhealthy instances (whose last deployment failed) first (instances-health).
        self.instances = sorted(members, key=lambda iid: not _unhealthy(account, region, group, iid, start))
        traffic = (group.deployment_style or {}).get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
        self.events = (BLOCK + BUNDLE + ALLOW) if traffic and group.load_balancer_info else list(BUNDLE)
        self.step = STATE.profile.ready_after("codedeploy.lifecycle_event")
        self.hooks = _appspec(account, dep.revision)
        # ApplicationStop and the block-traffic hooks run the scripts of the revision last installed on
        # each instance (the agent's last_successful_install, kept even when a later hook failed);
        # an instance never deployed to runs none.
        self.previous_hooks = [_appspec(account, r) if r else {} for r in
                               (_installed(account, region, group, iid, start, self) for iid in self.instances)]
        nth = None
        if rollback_of is None:
            nth = _nth[account] = _nth.get(account, 0) + 1
        self._schedule(nth)

    def _schedule(self, nth):
        """Deploys the instances in order, as many at once as the capacity leaves: a failed
        instance keeps its slot. The deployment fails at the failure after which it can no
        longer proceed (slots used up with instances left) or reach the successes it needs."""
        self.t0, self.failures, self.failed_at = {}, {}, None  # failures: i -> (event index, diagnostics, end)
        n, span = len(self.instances), len(self.events) * self.step
        capacity = _capacity(self.dep.deployment_config_name, n) if n else None
        t, i, down = self.start, 0, 0
        if capacity is None:
            self.failed_at = self.start
        batch, need = capacity or (0, 0)
        while i < n and self.failed_at is None:
            members = range(i, min(n, i + batch - down))
            for j in members:
                self.t0[j] = t
                failure = self._failure(nth, j)
                if failure:
                    self.failures[j] = (*failure, t + (failure[0] + 1) * self.step)
            i = members.stop
            for when in sorted(self.failures[j][2] for j in members if j in self.failures):
                down += 1
                if (down >= batch and i < n) or n - down < need:
                    self.failed_at = when
                    break
            t += span
        self.ends_at = self.failed_at if self.failed_at is not None else t

    def _failure(self, nth, i):
        """(event index, diagnostics) of the injected failure on instance i, or None."""
        if nth is None:
            return None
        rule = STATE.profile.hook_failure(nth, i, self.account)
        if not rule or rule["event"] not in self.events:
            return None
        diag = self._diagnostics(rule, i)
        return (self.events.index(rule["event"]), diag) if diag else None

    def _diagnostics(self, rule, i):
        event = rule["event"]
        if event in AGENT_EVENTS:
            return {"errorCode": "UnknownError", "scriptName": "", "message": rule.get("message", f"{event} failed"),
                    "logTail": rule.get("stderr", "")}
        scripts = (self.previous_hooks[i] if event in FROM_PREVIOUS else self.hooks).get(event)
        if not scripts:
            return None  # the agent runs no script for this hook, so nothing can fail
        location, runas = next(((loc, user) for loc, user in scripts if loc == rule.get("script")), scripts[0])
        code = int(rule.get("exit_code", 1))
        user = f" run as user {runas}" if runas else ""
        return {"errorCode": "ScriptFailed", "scriptName": location,
                "message": f"Script at specified location: {location}{user} failed with exit code {code}",
                "logTail": _log_tail(event, location, rule)}

    def _fails_on(self, i):
        """The end of instance i's failing event, when that failure happened before the deployment stopped."""
        failure = self.failures.get(i)
        if failure is None:
            return None
        end = failure[2]
        return end if self.failed_at is None or end <= self.failed_at else None

    def slot(self, instance_id):
        """The instance's index in this deployment when it was deployed to, else None."""
        i = self.instances.index(instance_id) if instance_id in self.instances else None
        return i if i in self.t0 else None

    def failed_on(self, instance_id):
        """Whether this deployment deployed to the instance and failed there."""
        i = self.slot(instance_id)
        return i is not None and self._fails_on(i) is not None

    def installed_at(self, instance_id):
        """When this deployment's Install finished on the instance, or None when it never did."""
        i = self.slot(instance_id)
        if i is None or "Install" not in self.events:
            return None
        k = self.events.index("Install")
        end = self.t0[i] + (k + 1) * self.step
        failure = self.failures.get(i)
        if failure and failure[0] <= k and self._fails_on(i) is not None:
            return None
        return end if self.failed_at is None or end <= self.failed_at else None

    def status(self, now):
        if now >= self.ends_at:
            return "Failed" if self.failed_at is not None else "Succeeded"
        return "InProgress"

    def error(self):
        if not self.instances:
            return NO_INSTANCES
        return HEALTH_CONSTRAINTS if self.failed_at is not None else None

    def event_status(self, i, k, now):
        stopped = self.failed_at is not None and now >= self.failed_at
        if i not in self.t0:
            return "Skipped" if stopped else "Pending"
        start, end = self.t0[i] + k * self.step, self.t0[i] + (k + 1) * self.step
        failed = self._fails_on(i)
        if failed is not None and now >= failed:
            k_failed = self.failures[i][0]
            if k == k_failed:
                return "Failed"
            if k > k_failed:
                return "Skipped"
        if stopped and end > self.failed_at:
            return "Skipped"
        if now >= end:
            return "Succeeded"
        return "InProgress" if now >= start else "Pending"

    def instance_status(self, i, now):
        events = [self.event_status(i, k, now) for k in range(len(self.events))]
        for status in ("Failed", "InProgress", "Skipped"):
            if status in events:
                return status
        return "Succeeded" if events[-1] == "Succeeded" else "Pending"

    def overview(self, now):
        counts = {s: 0 for s in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")}
        for i in range(len(self.instances)):
            counts[self.instance_status(i, now)] += 1
        return counts

    def target(self, i, now):
        t0 = self.t0.get(i)
        events = []
        for k, name in enumerate(self.events):
            status = self.event_status(i, k, now)
            ev = {"lifecycleEventName": name, "status": status}
            if status not in ("Pending", "Skipped"):
                ev["startTime"] = _at(t0 + k * self.step)
            if status in ("Succeeded", "Failed"):
                ev["endTime"] = _at(t0 + (k + 1) * self.step)
            if status == "Failed":
                ev["diagnostics"] = self.failures[i][1]
            events.append(ev)
        iid = self.instances[i]
        updated = self.start if t0 is None else t0 + len(self.events) * self.step
        return {"deploymentTargetType": "InstanceTarget", "instanceTarget": {
            "deploymentId": self.dep.deployment_id, "targetId": iid,
            "targetArn": f"arn:aws:ec2:{self.region}:{self.account}:instance/{iid}",
            "status": self.instance_status(i, now), "lastUpdatedAt": _at(min(now, updated)),
            "lifecycleEvents": events}}


def _asg_instances(account, region, name):
    group = autoscaling_backends[account][region].autoscaling_groups.get(name)
    return group.active_instances() if group else []


def backend(account, region):
    return codedeploy_backends[account][region]


def create(account, region, application, group, revision, start, description=None, rollback_of=None):
    """A deployment of `revision` to the group, started at `start` (readiness clock); its ID."""
    moto_id = backend(account, region).create_deployment(application, group, revision, description=description)
    return _adopt(account, region, moto_id, start, rollback_of)


def _adopt(account, region, moto_id, start, rollback_of=None):
    """Gives moto's deployment an AWS-style ID and a walk."""
    be = backend(account, region)
    with _lock:
        dep = be.deployments.pop(moto_id)
        dep.deployment_id = _deployment_id()
        be.deployments[dep.deployment_id] = dep
        if rollback_of is not None:
            dep.creator = "codeDeployRollback"
        _walks[(account, region, dep.deployment_id)] = Walk(account, region, dep, start, rollback_of)
    return dep.deployment_id


def walk(account, region, deployment_id):
    return _walks.get((account, region, deployment_id))


def pump(account, region):
    """Starts the rollbacks whose failed deployment's moment has come."""
    now = STATE.now()
    with _lock:
        for (acct, reg, _), w in list(_walks.items()):
            if (acct, reg) != (account, region) or w.rollback_id is not None or w.rollback_of is not None:
                continue
            failed = w.failed_at
            if failed is None or now < failed or not w.instances or not _rolls_back(w.dep):
                continue
            previous = _last_success(account, region, w.dep.deployment_group, failed, besides=w)
            if previous is None:
                w.rollback_id = ""
                continue
            w.rollback_id = create(account, region, w.dep.application_name, w.dep.deployment_group_name,
                                   previous.dep.revision, failed, rollback_of=w.dep.deployment_id)


def _rolls_back(dep):
    """A deployment's own automatic rollback configuration overrides its group's."""
    cfg = dep.auto_rollback_configuration or dep.deployment_group.auto_rollback_configuration or {}
    return bool(cfg.get("enabled")) and "DEPLOYMENT_FAILURE" in (cfg.get("events") or [])


def _group_walks(account, region, group, besides=None):
    """The deployments of the group (in that account and region), `besides` aside."""
    return [w for (acct, reg, _), w in _walks.items()
            if (acct, reg) == (account, region) and w.dep.deployment_group is group and w is not besides]


def _unhealthy(account, region, group, instance_id, at):
    """Whether the group's last deployment to the instance, started by `at`, failed on it."""
    tried = [w for w in _group_walks(account, region, group) if w.start <= at and w.slot(instance_id) is not None]
    return bool(tried) and max(tried, key=lambda w: w.start).failed_on(instance_id)


def _installed(account, region, group, instance_id, at, besides):
    """The revision the group's deployments last installed on the instance by `at`, or None."""
    done = [(end, w) for w in _group_walks(account, region, group, besides)
            for end in [w.installed_at(instance_id)] if end is not None and end <= at]
    return max(done, key=lambda d: d[0])[1].dep.revision if done else None


def _last_success(account, region, group, at, besides):
    """The group's deployment that last succeeded by `at`, `besides` aside."""
    done = [w for w in _group_walks(account, region, group, besides)
            if w.start <= at and w.ends_at <= at and w.status(at) == "Succeeded"]
    return max(done, key=lambda w: w.ends_at, default=None)


def _info(account, region, dep, now):
    info = _deployment_info(dep)
    w = walk(account, region, dep.deployment_id)
    if w is None:
        return info
    status = w.status(now)
    info.update(status=status, deploymentOverview=w.overview(now), startTime=_at(w.start),
                createTime=_at(w.start), creator=dep.creator)
    if status != "InProgress":
        info["completeTime"] = _at(w.ends_at)
    else:
        info.pop("completeTime", None)
    error = w.error() if status == "Failed" else None
    info["errorInformation"] = {"code": error[0], "message": error[1]} if error else {}
    info["rollbackInfo"] = _rollback_info(w)
    for k in ("errorInformation", "rollbackInfo", "previousRevision", "relatedDeployments", "targetInstances",
              "blueGreenDeploymentConfiguration"):
        if not info.get(k):
            info.pop(k, None)
    return info


def _rollback_info(w):
    if w.rollback_of is not None:
        return {"rollbackTriggeringDeploymentId": w.rollback_of,
                "rollbackMessage": f"Rollback of deployment {w.rollback_of}"}
    if w.rollback_id:
        return {"rollbackDeploymentId": w.rollback_id,
                "rollbackMessage": f"Deployment {w.dep.deployment_id} was rolled back by deployment {w.rollback_id}"}
    if w.rollback_id == "":
        return {"rollbackMessage": "Automatic rollback was not performed: no previous successful revision"}
    return {}


def _get(call, deployment_id):
    if not deployment_id:
        raise AwsError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    dep = backend(call.account, call.region).deployments.get(deployment_id)
    if dep is None:
        raise AwsError("DeploymentDoesNotExistException",
                       f"The deployment {deployment_id} does not exist with the user or AWS account.")
    return dep


@pre("codedeploy:GetDeployment")
def get_deployment(call):
    dep = _get(call, call.params.get("deploymentId"))
    return {"deploymentInfo": _info(call.account, call.region, dep, STATE.now())}


@pre("codedeploy:BatchGetDeployments")
def batch_get_deployments(call):
    be, now = backend(call.account, call.region), STATE.now()
    ids = call.params.get("deploymentIds") or []
    return {"deploymentsInfo": [_info(call.account, call.region, be.deployments[i], now)
                                for i in ids if i in be.deployments]}


@pre("codedeploy:CreateDeployment")
def create_deployment(call):
    p = call.params
    be = backend(call.account, call.region)
    moto_id = be.create_deployment(p.get("applicationName"), p.get("deploymentGroupName"),
                                   dict(p.get("revision") or {}), p.get("deploymentConfigName"),
                                   p.get("description"),
                                   auto_rollback_configuration=p.get("autoRollbackConfiguration"))
    return {"deploymentId": _adopt(call.account, call.region, moto_id, STATE.now())}


def _walk_of(call):
    dep = _get(call, call.params.get("deploymentId"))
    return walk(call.account, call.region, dep.deployment_id)


@pre("codedeploy:ListDeploymentTargets")
def list_deployment_targets(call):
    w, now = _walk_of(call), STATE.now()
    if w is None:
        return {"targetIds": []}
    wanted = set((call.params.get("targetFilters") or {}).get("TargetStatus") or [])
    return {"targetIds": [iid for i, iid in enumerate(w.instances)
                          if not wanted or w.instance_status(i, now) in wanted]}


@pre("codedeploy:BatchGetDeploymentTargets")
def batch_get_deployment_targets(call):
    w, now = _walk_of(call), STATE.now()
    ids = call.params.get("targetIds") or []
    if len(ids) > TARGETS_PER_BATCH_GET:
        raise AwsError("DeploymentTargetListSizeExceededException",
                       f"The maximum number of targets that can be specified is {TARGETS_PER_BATCH_GET}.")
    known = w.instances if w else []
    for iid in ids:
        if iid not in known:
            raise AwsError("DeploymentTargetDoesNotExistException",
                           f"The target {iid} does not exist in the deployment.")
    return {"deploymentTargets": [w.target(known.index(iid), now) for iid in ids]}
