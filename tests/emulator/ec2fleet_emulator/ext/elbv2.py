"""ELBv2 correction: targets whose instance is gone are deregistered.

moto only deregisters on the EC2 TerminateInstances API path, so instances an
ASG terminates (scale-in, delete) stayed 'healthy' targets forever. AWS drains
them for the target group's deregistration delay and then forgets them."""
from moto.elbv2 import models as elbv2_models

from ..state import STATE

_drained_at = {}  # (tg arn, target id) -> readiness-clock time it started draining
STATE.on_reset(_drained_at.clear)

_orig_describe = elbv2_models.ELBv2Backend.describe_target_health
_orig_health_for = elbv2_models.FakeTargetGroup.health_for
_orig_register = elbv2_models.FakeTargetGroup.register


def sweep(backend):
    """Move targets whose EC2 instance is terminated (or vanished) to draining."""
    for tg in backend.target_groups.values():
        for tid in list(tg.targets):
            if not tid.startswith("i-"):
                continue
            inst = backend.ec2_backend.get_instance_by_id(tid)
            if inst is None or inst.state in ("shutting-down", "terminated"):
                tg.terminated_targets[tid] = tg.targets.pop(tid)
                _drained_at.setdefault((tg.arn, tid), STATE.now())


def describe_target_health(self, target_group_arn, targets):
    sweep(self)
    return _orig_describe(self, target_group_arn, targets)


def health_for(self, target, ec2_backend):
    status = _orig_health_for(self, target, ec2_backend)
    tid = target["Id"]
    if tid in self.terminated_targets and tid not in self.targets:
        since = _drained_at.setdefault((self.arn, tid), STATE.now())
        delay = float(self.attributes.get("deregistration_delay.timeout_seconds", 300))
        if STATE.now() >= since + delay:  # drained: AWS no longer knows the target
            return elbv2_models.FakeHealthStatus(tid, status.port, self.health_check_port, "unused",
                                                 "Target.NotRegistered", "Target is not registered to the target group")
    from .. import readiness
    from . import health_checks
    return health_checks.judge(self, readiness.target_health(self, target, status))


def register(self, targets):
    _orig_register(self, targets)
    for t in targets:
        self.terminated_targets.pop(t["Id"], None)
        _drained_at.pop((self.arn, t["Id"]), None)
    from .. import readiness
    readiness.targets_registered(self, targets)


elbv2_models.ELBv2Backend.describe_target_health = describe_target_health
elbv2_models.FakeTargetGroup.health_for = health_for
elbv2_models.FakeTargetGroup.register = register
