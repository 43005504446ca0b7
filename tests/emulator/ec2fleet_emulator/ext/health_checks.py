"""ELB health checks against what the instances answer, and Auto Scaling's ELB health replacement.

moto reports every registered target healthy, so a fleet whose application never answers its
health check would look done. Tests say what an account's instances answer on a path:

  POST /_ec2fleet/elbv2/answers {"account", "region", "path", "code": 404}   (or "timeout": true)

and a target group checking that path (HTTP/HTTPS) judges the answer as AWS does: a code outside
its matcher is unhealthy with Target.ResponseCodeMismatch, "Health checks failed with these codes:
[404]"; a timeout is Target.Timeout, "Request timed out". A path nobody set answers 200.

A group with HealthCheckType ELB replaces an InService instance that a target group of its reports
unhealthy once its grace period has passed since the instance came into service (on STATE's
clock): a Successful activity "Terminating EC2 instance: i-..." caused "... in response to an ELB
system health check failure.", then a launch to restore the desired capacity."""
import datetime
import threading
import uuid

from moto.autoscaling.models import autoscaling_backends
from moto.elbv2 import models as elbv2_models

from . import pre
from ..state import STATE

_lock = threading.Lock()
_answers = {}  # (account, region, path) -> {"code": int} | {"timeout": True}
STATE.on_reset(_answers.clear)


def set_answer(data):
    """Records what instances answer; returns an error text for a malformed body, else None."""
    account, path = data.get("account"), data.get("path")
    if not account or not isinstance(path, str) or not path.startswith("/"):
        return "need account and a path starting with /"
    if data.get("timeout") is True:
        answer = {"timeout": True}
    elif isinstance(data.get("code"), int) and 100 <= data["code"] <= 599:
        answer = {"code": data["code"]}
    else:
        return "need code (an HTTP status, 100-599) or timeout: true"
    with _lock:
        _answers[(account, data.get("region", "us-east-1"), path)] = answer
    return None


def _matches(code, matcher):
    """ELB's matcher syntax: codes and ranges, comma separated ("200", "200,202", "200-299")."""
    for part in str(matcher or "200").split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


def judge(tg, status):
    """A healthy status becomes what the instance's answer on the checked path earns."""
    if status.status != "healthy" or (tg.health_check_protocol or "HTTP") not in ("HTTP", "HTTPS"):
        return status
    _, _, _, region, account, _ = tg.arn.split(":", 5)
    answer = _answers.get((account, region, tg.health_check_path or "/"))
    if answer is None:
        return status
    if answer.get("timeout"):
        reason, text = "Target.Timeout", "Request timed out"
    elif _matches(answer["code"], (tg.matcher or {}).get("HttpCode")):
        return status
    else:
        reason, text = "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{answer['code']}]"
    return elbv2_models.FakeHealthStatus(status.instance_id, status.port, status.health_check_port, "unhealthy",
                                         reason, text)


def _now():
    return datetime.datetime.fromtimestamp(STATE.now(), tz=datetime.timezone.utc)


def _unhealthy(be, group, instance_id):
    for arn in group.target_group_arns:
        tg = be.elbv2_backend.target_groups.get(arn)
        if tg and instance_id in tg.targets:
            if tg.health_for({"Id": instance_id}, be.ec2_backend).status == "unhealthy":
                return True
    return False


def _replace(be, group, state):
    iid = state.instance.id
    now = _now()
    be.terminate_instance(iid, should_decrement=False)
    for arn in group.target_group_arns:
        be.elbv2_backend.deregister_targets(arn, [{"Id": iid}])
    group.__dict__.setdefault("ec2fleet_activities", []).insert(0, {
        "ActivityId": str(uuid.uuid4()), "AutoScalingGroupName": group.name, "AutoScalingGroupARN": group.arn,
        "Description": f"Terminating EC2 instance: {iid}", "StatusCode": "Successful", "Progress": 100,
        "Cause": f"At {now.strftime('%Y-%m-%dT%H:%M:%SZ')} an instance was taken out of service in response "
                 f"to an ELB system health check failure.",
        "StartTime": now, "EndTime": now, "Details": "{}"})
    be.update_attached_elbs(group.name)
    be.update_attached_target_groups(group.name)


def sweep(account, region):
    """Replaces the instances Auto Scaling would have found unhealthy by now."""
    from .. import readiness
    be = autoscaling_backends[account][region]
    for group in list(be.autoscaling_groups.values()):
        if group.health_check_type != "ELB":
            continue
        grace = float(group.health_check_grace_period or 0)
        for state in list(group.instance_states):
            since = readiness.in_service_since(state)
            if state.lifecycle_state == "InService" and since is not None and STATE.now() >= since + grace \
                    and _unhealthy(be, group, state.instance.id):
                _replace(be, group, state)


@pre("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
     "autoscaling:DescribeScalingActivities", "elbv2:DescribeTargetHealth")
def _sweep_before_reading(call):
    sweep(call.account, call.region)
