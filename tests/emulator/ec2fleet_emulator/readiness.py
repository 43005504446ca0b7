"""Slow readiness. moto makes everything ready at once; real AWS does not, and a
provider must wait. Each transition lasts the profile's `readiness` seconds
(0 = instant, like moto), measured on STATE's clock (tests can advance it):

  elbv2.load_balancer    ALB State provisioning -> active
  cloudfront.distribution Status InProgress -> Deployed (again after update/disable)
  route53.change          ChangeInfo PENDING -> INSYNC
  elbv2.target            target health initial -> healthy
  autoscaling.instance    ASG instance Pending -> InService
  iam.instance_profile    profile unusable by EC2/ASG ("... Invalid IAM Instance Profile name")
"""
import re
import threading

from moto.autoscaling import models as asg_models
from moto.cloudfront import models as cf_models
from moto.elbv2 import models as elbv2_models

from .awsresp import AwsError
from .ext import post, pre
from .state import STATE

_lock = threading.Lock()
_ready_at = {}  # (kind, key) -> readiness-clock time
STATE.on_reset(_ready_at.clear)


def mark(kind, key):
    delay = STATE.profile.ready_after(kind)
    if delay > 0:
        with _lock:
            _ready_at[(kind, key)] = STATE.now() + delay


def pending(kind, key):
    t = _ready_at.get((kind, key))
    return t is not None and STATE.now() < t


# --- ELBv2 load balancers -------------------------------------------------
@post("elbv2:CreateLoadBalancer")
def _alb_created(call, reply):
    if reply.ok:
        for arn in re.findall(r"<LoadBalancerArn>([^<]+)</LoadBalancerArn>", reply.text):
            mark("elbv2.load_balancer", arn)
            reply.set_text(reply.text.replace("<Code>active</Code>", "<Code>provisioning</Code>")
                           if pending("elbv2.load_balancer", arn) else reply.text)


def _lb_state(self):
    return {"Code": "provisioning" if pending("elbv2.load_balancer", self.arn) else self.state}


elbv2_models.FakeLoadBalancer.load_balancer_state = property(_lb_state)


# --- ELBv2 targets --------------------------------------------------------
def targets_registered(tg, targets):
    for t in targets:
        mark("elbv2.target", (tg.arn, t["Id"]))


def target_health(tg, target, status):
    if status.status == "healthy" and pending("elbv2.target", (tg.arn, target["Id"])):
        return elbv2_models.FakeHealthStatus(target["Id"], status.port, tg.health_check_port, "initial",
                                             "Elb.RegistrationInProgress", "Target registration is in progress")
    return status


# --- CloudFront distributions ----------------------------------------------
@post("cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:UpdateDistribution")
def _dist_changed(call, reply):
    if not reply.ok:
        return
    dist_id = call.params.get("Id") or re.search(r"<Id>([^<]+)</Id>", reply.text).group(1)
    mark("cloudfront.distribution", dist_id)
    if pending("cloudfront.distribution", dist_id):
        reply.set_text(reply.text.replace("<Status>Deployed</Status>", "<Status>InProgress</Status>", 1))


def _dist_status(self):
    return "InProgress" if pending("cloudfront.distribution", self.distribution_id) else "Deployed"


cf_models.Distribution.status = property(_dist_status, lambda self, v: None)


# --- Route53 changes ------------------------------------------------------
@post("route53:ChangeResourceRecordSets", "route53:CreateHostedZone", "route53:DeleteHostedZone")
def _r53_change(call, reply):
    if not reply.ok:
        return
    m = re.search(r"<ChangeInfo>\s*<Id>([^<]+)</Id>", reply.text)
    if m:
        change_id = m.group(1).split("/")[-1]
        mark("route53.change", change_id)
        if pending("route53.change", change_id):
            reply.set_text(reply.text.replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>"))


@post("route53:GetChange")
def _r53_get_change(call, reply):
    change_id = (call.params.get("Id") or "").split("/")[-1]
    if reply.ok and pending("route53.change", change_id):
        reply.set_text(reply.text.replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>"))


# --- Auto Scaling instances -----------------------------------------------
def _get_lifecycle(self):
    state = self.__dict__.get("_lifecycle_state", "InService")
    if state == "InService" and pending("autoscaling.instance", self.instance.id):
        return "Pending"
    return state


def _set_lifecycle(self, value):
    if value == "InService" and "_lifecycle_state" not in self.__dict__:
        self.__dict__["_launched_at"] = STATE.now()
        mark("autoscaling.instance", self.instance.id)  # a fresh instance starts Pending
    self.__dict__["_lifecycle_state"] = value


def in_service_since(state):
    """When an ASG instance came into service (STATE's clock), or None if it never launched here."""
    return _ready_at.get(("autoscaling.instance", state.instance.id), state.__dict__.get("_launched_at"))


asg_models.InstanceState.lifecycle_state = property(_get_lifecycle, _set_lifecycle)


# --- IAM instance profiles ------------------------------------------------
@post("iam:CreateInstanceProfile")
def _profile_created(call, reply):
    if reply.ok:
        mark("iam.instance_profile", (call.account, call.params.get("InstanceProfileName")))


def _profile_ref(spec):
    """(name, how it was given): AWS's error names the parameter the caller used, name or arn."""
    spec = spec or {}
    if spec.get("Arn"):
        return spec["Arn"].split("/")[-1], ("arn", spec["Arn"])
    if spec.get("Name"):
        return spec["Name"], ("name", spec["Name"])
    return None, None


def _refuse_if_pending(call, ref, code, prefix=""):
    """AWS's words while EC2 cannot see the profile yet, e.g. "Value (web) for parameter
    iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name" (by ARN: ...arn ... ARN)."""
    name, given = ref
    if name and pending("iam.instance_profile", (call.account, name)):
        kind, value = given
        label = "ARN" if kind == "arn" else "name"
        raise AwsError(code, f"{prefix}Value ({value}) for parameter iamInstanceProfile.{kind} is invalid. "
                             f"Invalid IAM Instance Profile {label}")


def _template_profile(call, lt_spec):
    from .ext.ec2 import ec2, template_of, version_of
    try:
        return _profile_ref(version_of(template_of(ec2(call), lt_spec), lt_spec.get("Version")).data.get("IamInstanceProfile"))
    except Exception:
        return None, None  # unknown template: moto reports that itself


@pre("ec2:RunInstances")
def _run_instances(call):
    p = call.params
    ref = _profile_ref(p.get("IamInstanceProfile"))
    if not ref[0] and p.get("LaunchTemplate"):
        ref = _template_profile(call, p["LaunchTemplate"])
    _refuse_if_pending(call, ref, "InvalidParameterValue")


@pre("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup")
def _asg(call):
    p = call.params
    lt = p.get("LaunchTemplate") or (((p.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {})
                                     .get("LaunchTemplateSpecification"))
    if lt:  # Auto Scaling prefixes EC2's words with its own about the template
        _refuse_if_pending(call, _template_profile(call, lt), "ValidationError",
                           "You must use a valid fully-formed launch template. ")
    elif p.get("LaunchConfigurationName"):
        from moto.autoscaling.models import autoscaling_backends
        lc = autoscaling_backends[call.account][call.region].launch_configurations.get(p["LaunchConfigurationName"])
        prof = lc.iam_instance_profile if lc else None
        _refuse_if_pending(call, _profile_ref({"Arn": prof} if prof and prof.startswith("arn:") else {"Name": prof}),
                           "ValidationError")
