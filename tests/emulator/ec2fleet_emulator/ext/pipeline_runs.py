"""CodePipeline executions that run (moto marks an execution Succeeded the moment it starts and
runs no action). An execution of a pipeline with an S3 Source action and a CodeDeploy Deploy
action, the shape the fleet and the seed build, goes:

  Source  takes the source object's current version (which the execution reports as its source
          revision), copies it to the artifact store as AWS does
          (`<pipeline[:20]>/<artifact[:10]>/<7 chars>`), and lasts `codepipeline.action` seconds;
          a missing object or an unversioned bucket fails it;
  Deploy  creates the CodeDeploy deployment of that artifact (its ID is the action's
          externalExecutionId) and ends with it.

Executions run in SUPERSEDED mode, AWS's default: one execution at a time in the Deploy stage; one
whose Source action ends while another deploys waits for it, and is superseded when a newer one
ends its Source action meanwhile. CreatePipeline starts an execution, as in AWS (its Source action
fails when the source object is not there yet).

Answers StartPipelineExecution, GetPipelineExecution, ListPipelineExecutions,
ListActionExecutions (missing in moto) and GetPipelineState from these runs. `start` is also how
EventBridge starts a pipeline (see trail_events.py)."""
import datetime
import random
import string
import threading
import uuid

from moto.codepipeline.models import codepipeline_backends
from moto.s3.models import s3_backends

from . import post, pre
from . import deployments
from ..awsresp import AwsError
from ..state import STATE

_lock = threading.RLock()
_runs = {}  # (account, region, pipeline name) -> [Run], oldest first
STATE.on_reset(_runs.clear)


def _at(t):
    return datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)


def _actions(pipeline, category):
    return [(stage["name"], a) for stage in pipeline["stages"] for a in stage.get("actions", [])
            if a["actionTypeId"]["category"] == category]


class Run:
    def __init__(self, account, region, cp, trigger, version=None):
        self.account, self.region, self.cp = account, region, cp
        self.id = str(uuid.uuid4())
        self.start = STATE.now()
        self.step = STATE.profile.ready_after("codepipeline.action")
        self.trigger = trigger
        self.deployment_id = None
        self.entered, self.superseded_at = None, None  # when it entered the Deploy stage / was superseded
        self.source_error, self.deploy_error = None, None
        self.version, self.artifact = None, None
        self._take_source(version)

    @property
    def name(self):
        return self.cp.pipeline["name"]

    def _source(self):
        found = _actions(self.cp.pipeline, "Source")
        return found[0] if found else (None, None)

    def _deploy(self):
        found = _actions(self.cp.pipeline, "Deploy")
        return found[0] if found else (None, None)

    def _take_source(self, version=None):
        """The source object's current version, or the one a source revision override names."""
        _, action = self._source()
        cfg = (action or {}).get("configuration", {})
        s3 = s3_backends[self.account]["aws"]
        bucket = s3.buckets.get(cfg.get("S3Bucket"))
        if bucket is None or bucket.versioning_status != "Enabled":
            self.source_error = (f"The bucket named {cfg.get('S3Bucket')} is not versioned, or does not exist. "
                                 "Versioning must be enabled on the source bucket.")
            return
        key = s3.get_object(bucket.name, cfg.get("S3ObjectKey", ""), version_id=version)
        if key is None:
            self.source_error = f"The object with key '{cfg.get('S3ObjectKey')}' does not exist."
            return
        self.version = key.version_id
        store = self.cp.pipeline["artifactStore"]["location"]
        out = (action.get("outputArtifacts") or [{"name": "SourceArtifact"}])[0]["name"]
        artifact = f"{self.name[:20]}/{out[:10]}/" + "".join(random.choices(string.ascii_letters + string.digits, k=7))
        if store not in s3.buckets:
            self.source_error = f"The artifact store bucket {store} does not exist."
            return
        s3.put_object(store, artifact, key.value)
        self.artifact = (store, artifact)

    @property
    def deploy_starts(self):
        return self.start + self.step

    def enter_deploy(self, at):
        """Starts the Deploy action at `at`: the CodeDeploy deployment of the artifact."""
        _, action = self._deploy()
        if action is None:
            return
        self.entered = at
        cfg = action.get("configuration", {})
        revision = {"revisionType": "S3", "s3Location": {"bucket": self.artifact[0], "key": self.artifact[1],
                                                           "bundleType": "zip"}}
        try:
            self.deployment_id = deployments.create(self.account, self.region, cfg.get("ApplicationName"),
                                                    cfg.get("DeploymentGroupName"), revision, at)
        except Exception as e:  # the group or application is gone: the action fails as in AWS
            self.deployment_id, self.deploy_error = "", getattr(e, "message", str(e))

    @property
    def deploy_ends(self):
        w = self._deployment()
        return w.ends_at if w else self.entered

    def _deployment(self):
        if not self.deployment_id:
            return None
        return deployments.walk(self.account, self.region, self.deployment_id)

    def source_status(self, now):
        if now < self.deploy_starts:
            return "InProgress"
        return "Failed" if self.source_error else "Succeeded"

    def deploy_status(self, now):
        """The Deploy action's status; None before it starts (or when superseded before that)."""
        if self.source_status(now) != "Succeeded" or self.deployment_id is None:
            return None
        if self.deployment_id == "":
            return "Failed"
        return self._deployment().status(now)

    def status(self, now):
        source = self.source_status(now)
        if source != "Succeeded":
            return source
        if self.superseded_at is not None:
            return "Superseded"
        return self.deploy_status(now) or "InProgress"

    def last_update(self, now):
        if self.superseded_at is not None:
            return _at(self.superseded_at)
        if self.source_status(now) != "Succeeded" or self.deployment_id is None:
            return _at(min(now, self.deploy_starts))
        return _at(min(now, self.deploy_ends))

    def source_revisions(self, now):
        if self.source_status(now) != "Succeeded":
            return []
        name, _ = self._source()
        return [{"actionName": name, "revisionId": self.version}]

    def summary(self, now):
        return {"pipelineExecutionId": self.id, "status": self.status(now), "startTime": _at(self.start),
                "lastUpdateTime": self.last_update(now), "sourceRevisions": self.source_revisions(now),
                "trigger": self.trigger, "executionMode": "SUPERSEDED"}

    def execution(self, now):
        revisions = [{"name": "SourceArtifact", "revisionId": self.version}] if self.source_revisions(now) else []
        return {"pipelineName": self.name, "pipelineVersion": self.cp.pipeline["version"],
                "pipelineExecutionId": self.id, "status": self.status(now), "artifactRevisions": revisions,
                "trigger": self.trigger, "executionMode": "SUPERSEDED"}

    def _result(self, stage, status):
        """An action's execution result; a failed one carries its reason in errorDetails, as in AWS."""
        if stage == self._deploy()[0]:
            if self.deploy_error:
                return _failed(self.deploy_error)
            if not self.deployment_id:
                return {}
            result = {"externalExecutionId": self.deployment_id,
                      "externalExecutionUrl": f"https://console.aws.amazon.com/codedeploy/home?region={self.region}"
                                              f"#/deployments/{self.deployment_id}"}
            if status == "Failed":
                error = self._deployment().error()
                result.update(_failed(f"Deployment {self.deployment_id} failed: {error[1]}"))
            return result
        if self.source_error:
            return _failed(self.source_error)
        return {"externalExecutionId": self.version} if self.version else {}

    def action_details(self, now):
        out = []
        for (stage, action), status, started in ((self._source(), self.source_status(now), self.start),
                                                 (self._deploy(), self.deploy_status(now), self.entered)):
            if action is None or status is None:
                continue
            result = self._result(stage, status)
            out.append({"pipelineExecutionId": self.id, "actionExecutionId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.id + stage)),
                        "pipelineVersion": self.cp.pipeline["version"], "stageName": stage,
                        "actionName": action["name"], "startTime": _at(started), "lastUpdateTime": self.last_update(now),
                        "status": status, "input": {"actionTypeId": action["actionTypeId"],
                                                    "configuration": action.get("configuration", {})},
                        "output": {"executionResult": result}})
        return list(reversed(out))


def _failed(message):
    return {"errorDetails": {"code": "JobFailed", "message": message}}


def _pipeline(call, name):
    cp = codepipeline_backends[call.account][call.region].pipelines.get(name)
    if cp is None:
        raise AwsError("PipelineNotFoundException",
                       f"Account '{call.account}' does not have a pipeline with name '{name}'")
    return cp


def start(account, region, name, trigger, version=None):
    """A new execution of the pipeline (of the source object's `version`, when given); its ID, or
    None when there is no such pipeline."""
    cp = codepipeline_backends[account][region].pipelines.get(name)
    if cp is None:
        return None
    with _lock:
        run = Run(account, region, cp, trigger, version)
        _runs.setdefault((account, region, name), []).append(run)
    return run.id


def _schedule(runs, now):
    """Moves a pipeline's executions (oldest first) into the Deploy stage one at a time."""
    free_at = float("-inf")  # when the Deploy stage is free for the next execution
    for n, run in enumerate(runs):
        if run.source_error or run.superseded_at is not None:
            continue
        if run.deployment_id is not None:
            free_at = max(free_at, run.deploy_ends)
            continue
        enter = max(run.deploy_starts, free_at)
        overtaken = [r.deploy_starts for r in runs[n + 1:]
                     if not r.source_error and r.deploy_starts < enter and r.deploy_starts <= now]
        if overtaken:
            run.superseded_at = min(overtaken)
        elif enter <= now:
            run.enter_deploy(enter)
            free_at = run.deploy_ends if run.deployment_id is not None else float("inf")
        else:
            free_at = float("inf")


def pump(account, region):
    now = STATE.now()
    with _lock:
        for (acct, reg, _), runs in _runs.items():
            if (acct, reg) == (account, region):
                _schedule(runs, now)
    deployments.pump(account, region)


@pre("codepipeline:*", "codedeploy:*")
def _pump_first(call):
    from . import trail_events
    trail_events.deliver_due()
    pump(call.account, call.region)


def _runs_of(call, name):
    cp = _pipeline(call, name)
    return [r for r in _runs.get((call.account, call.region, name), []) if r.cp is cp]


@pre("codepipeline:StartPipelineExecution")
def start_pipeline_execution(call):
    name = call.params.get("name")
    _pipeline(call, name)
    trigger = {"triggerType": "StartPipelineExecution",
               "triggerDetail": f"arn:aws:iam::{call.account}:root"}
    # A source revision override (S3_OBJECT_VERSION_ID) runs that version instead of the latest.
    version = next((o.get("revisionValue") for o in call.params.get("sourceRevisions") or []
                    if o.get("revisionType") == "S3_OBJECT_VERSION_ID"), None)
    return {"pipelineExecutionId": start(call.account, call.region, name, trigger, version)}


@pre("codepipeline:GetPipelineExecution")
def get_pipeline_execution(call):
    name, eid = call.params.get("pipelineName"), call.params.get("pipelineExecutionId")
    for run in _runs_of(call, name):
        if run.id == eid:
            return {"pipelineExecution": run.execution(STATE.now())}
    raise AwsError("PipelineExecutionNotFoundException",
                   f"Account '{call.account}' does not have an execution with id '{eid}' for pipeline '{name}'")


@pre("codepipeline:ListPipelineExecutions")
def list_pipeline_executions(call):
    runs = list(reversed(_runs_of(call, call.params.get("pipelineName"))))
    limit = call.params.get("maxResults") or 100
    now = STATE.now()
    return {"pipelineExecutionSummaries": [r.summary(now) for r in runs[:limit]]}


@pre("codepipeline:ListActionExecutions")
def list_action_executions(call):
    runs = list(reversed(_runs_of(call, call.params.get("pipelineName"))))
    wanted = (call.params.get("filter") or {}).get("pipelineExecutionId")
    now = STATE.now()
    return {"actionExecutionDetails": [d for r in runs if wanted in (None, r.id) for d in r.action_details(now)]}


@pre("codepipeline:GetPipelineState")
def get_pipeline_state(call):
    name = call.params.get("name")
    cp = _pipeline(call, name)
    runs = _runs_of(call, name)
    latest, now = (runs[-1] if runs else None), STATE.now()
    details = {d["stageName"]: d for d in latest.action_details(now)} if latest else {}
    stages = []
    for stage in cp.pipeline["stages"]:
        st = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True},
              "actionStates": [{"actionName": a["name"]} for a in stage.get("actions", [])]}
        d = details.get(stage["name"])
        if d is not None:
            st["latestExecution"] = {"pipelineExecutionId": latest.id, "status": d["status"]}
            for a in st["actionStates"]:
                result = d["output"]["executionResult"]
                a["latestExecution"] = {"actionExecutionId": d["actionExecutionId"], "status": d["status"],
                                        "lastStatusChange": d["lastUpdateTime"],
                                        **{_STATE_FIELDS[k]: v for k, v in result.items()}}
        stages.append(st)
    return {"pipelineName": name, "pipelineVersion": cp.pipeline["version"], "stageStates": stages,
            "created": cp._created, "updated": cp._updated}


# ActionExecutionResult field -> the ActionExecution field GetPipelineState reports it in.
_STATE_FIELDS = {"externalExecutionId": "externalExecutionId", "externalExecutionUrl": "externalExecutionUrl",
                 "externalExecutionSummary": "summary", "errorDetails": "errorDetails"}


@post("codepipeline:CreatePipeline")
def _first_run(call, reply):
    if reply.ok:
        name = (call.params.get("pipeline") or {}).get("name")
        start(call.account, call.region, name,
              {"triggerType": "CreatePipeline", "triggerDetail": f"arn:aws:iam::{call.account}:root"})


@post("codepipeline:DeletePipeline")
def _forget_runs(call, reply):
    if reply.ok:
        with _lock:
            _runs.pop((call.account, call.region, call.params.get("name")), None)
