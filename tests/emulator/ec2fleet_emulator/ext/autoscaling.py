"""Auto Scaling: traffic sources, instance refreshes and scaling activities (missing in moto),
instance placement, and launch templates checked as AWS checks them.

moto starts every ASG instance in the first subnet without the launch template's
instance profile; AWS balances across the group's subnets/AZs and launches with
the profile. We replace moto's instance-launch method to do the same, and record the
template version each instance was launched from (moto reports the template's
default version for every instance, so nothing could tell an outdated one).

AWS refuses CreateAutoScalingGroup/UpdateAutoScalingGroup when the launch template names an AMI
or key pair that does not exist or an unknown instance type ("You must use a valid fully-formed
launch template. The image id '[ami-...]' does not exist"); moto accepts them and launches anyway.
What breaks later (the AMI deregistered, the key pair deleted, a bad new $Latest version) makes
each launch fail: no instance, and a Failed scaling activity saying why, which DescribeScalingActivities
lists newest first (moto lists none at all)."""
import datetime
import json
import random as _random
import uuid

from moto.autoscaling import models as asg_models
from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models.instance_types import INSTANCE_TYPES

from . import post, pre
from ..awsresp import AwsError
from ..state import STATE
from .ec2 import associate_profile, ec2, profile_spec, template_of, version_of

_lattice = {}  # (account, region, group) -> [identifier] for vpc-lattice sources
STATE.on_reset(_lattice.clear)
_refreshes = {}  # (account, region, group) -> [refresh dict], newest first
STATE.on_reset(_refreshes.clear)


def backend(call):
    return autoscaling_backends[call.account][call.region]


def group_of(call):
    name = call.params.get("AutoScalingGroupName")
    g = backend(call).autoscaling_groups.get(name)
    if g is None:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    return g


def _traffic_sources(call, attach):
    """Attach or detach: ELBv2 target groups and classic ELBs go to moto's own lists; other kinds
    (VPC Lattice) are kept here, since moto has nowhere for them."""
    g = group_of(call)
    be = backend(call)
    for src in call.params.get("TrafficSources") or []:
        kind, ident = src.get("Type", "elbv2"), src["Identifier"]
        if kind == "elbv2":
            (be.attach_load_balancer_target_groups if attach else be.detach_load_balancer_target_groups)(g.name, [ident])
        elif kind == "elb":
            (be.attach_load_balancers if attach else be.detach_load_balancers)(g.name, [ident])
        else:
            lst = _lattice.setdefault((call.account, call.region, g.name), [])
            if attach and ident not in lst:
                lst.append(ident)
            elif not attach and ident in lst:
                lst.remove(ident)
    return {}


@pre("autoscaling:AttachTrafficSources")
def attach_traffic_sources(call):
    return _traffic_sources(call, attach=True)


@pre("autoscaling:DetachTrafficSources")
def detach_traffic_sources(call):
    return _traffic_sources(call, attach=False)


@pre("autoscaling:DescribeTrafficSources")
def describe_traffic_sources(call):
    g = group_of(call)
    want = call.params.get("TrafficSourceType")
    sources = [("elbv2", a) for a in g.target_group_arns] + [("elb", n) for n in g.load_balancer_names]
    sources += [("vpc-lattice", i) for i in _lattice.get((call.account, call.region, g.name), [])]
    items = [{"TrafficSource": i, "Identifier": i, "Type": t, "State": "InService"}
             for t, i in sources if want in (None, t)]
    start = int(call.params.get("NextToken") or 0)
    size = int(call.params.get("MaxRecords") or 50)
    out = {"TrafficSources": items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def _replace_instances(self, count_needed, propagated_tags):
    """AZ-balanced launch with the template's instance profile (see module doc)."""
    propagated_tags[asg_models.ASG_NAME_TAG] = self.name
    propagated_tags.update(self.instance_tags)
    ec2 = self.autoscaling_backend.ec2_backend
    subnets = [s for s in (self.vpc_zone_identifier or "").split(",") if s] or [None]
    counts = {s: 0 for s in subnets}
    for st in self.instance_states:
        sid = getattr(st.instance, "subnet_id", None)
        if sid in counts:
            counts[sid] += 1
    associate_public_ip = self.launch_config.associate_public_ip_address if self.launch_config else None
    launch_template, spec, launched = None, None, None
    if self.ec2_launch_template:
        launch_template = {"LaunchTemplateId": self.ec2_launch_template.id,
                           "Version": self.launch_template_version}
        version = version_of(self.ec2_launch_template, self.launch_template_version)
        spec, launched = profile_spec(version.data), str(version.number)
    elif self.launch_config and self.launch_config.iam_instance_profile:
        name = self.launch_config.iam_instance_profile
        spec = {"iam_instance_profile_arn": name} if name.startswith("arn:") else {"iam_instance_profile_name": name}
    data = version_of(self.ec2_launch_template, self.launch_template_version).data if self.ec2_launch_template else {
        "ImageId": self.launch_config.image_id, "KeyName": self.launch_config.key_name,
        "InstanceType": self.launch_config.instance_type}
    before = len(self.instance_states)
    for _ in range(count_needed):
        subnet = min(subnets, key=lambda s: (counts[s], subnets.index(s)))
        counts[subnet] += 1
        placement = ec2.get_subnet(subnet).availability_zone if subnet else _random.choice(self.availability_zones)
        problem = launch_problem(ec2, data)
        if problem:  # AWS: the launch fails, and the group tries again later
            _activity(self, before, before + count_needed, subnet, placement, failed=problem)
            return
        reservation = ec2.run_instances(
            self.image_id, 1, self.user_data, self.security_groups,
            instance_type=self.instance_type, tags={"instance": dict(propagated_tags)},
            placement=placement, launch_config=self.launch_config, launch_template=launch_template,
            is_instance_type_default=False, associate_public_ip=associate_public_ip, subnet_id=subnet)
        for instance in reservation.instances:
            instance.autoscaling_group = self
            if spec:
                associate_profile(ec2, [instance.id], spec)
            state = asg_models.InstanceState(
                instance, protected_from_scale_in=self.new_instances_protected_from_scale_in)
            state.launched_version = launched
            self.instance_states.append(state)
            _activity(self, before, before + count_needed, subnet, placement, instance=instance.id)


asg_models.FakeAutoScalingGroup.replace_autoscaling_group_instances = _replace_instances


# --- Launch checks and scaling activities -----------------------------------
def launch_problem(be, data):
    """EC2's reason why launching from this template data fails, or None."""
    ami, key, kind = data.get("ImageId"), data.get("KeyName"), data.get("InstanceType")
    if ami and ami not in be.amis:
        return f"The image id '[{ami}]' does not exist"
    if key and key not in be.key_pairs:
        return f"The key pair '{key}' does not exist"
    if kind and kind not in INSTANCE_TYPES:
        return f"Invalid value '{kind}' for InstanceType."
    return None


@pre("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup")
def check_launch_template(call):
    p = call.params
    spec = p.get("LaunchTemplate") or (((p.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {})
                                       .get("LaunchTemplateSpecification"))
    if not spec:
        return None
    try:
        data = version_of(template_of(ec2(call), spec), spec.get("Version")).data
    except Exception:
        return None  # an unknown template or version: moto answers
    problem = launch_problem(ec2(call), data)
    if problem:
        raise AwsError("ValidationError", f"You must use a valid fully-formed launch template. {problem}")
    return None


def _now():
    return datetime.datetime.fromtimestamp(STATE.now(), tz=datetime.timezone.utc)


def _activity(group, before, after, subnet, zone, instance=None, failed=None):
    """Record one launch as AWS words it (newest first)."""
    now = _now()
    cause = (f"At {now.strftime('%Y-%m-%dT%H:%M:%SZ')} an instance was started in response to a difference "
             f"between desired and actual capacity, increasing the capacity from {before} to {after}.")
    details = {"Subnet ID": subnet, "Availability Zone": zone} if subnet else {"Availability Zone": zone}
    act = {"ActivityId": str(uuid.uuid4()), "AutoScalingGroupName": group.name, "AutoScalingGroupARN": group.arn,
           "Cause": cause, "StartTime": now, "EndTime": now, "Progress": 100, "Details": json.dumps(details)}
    if failed:
        reason = failed.rstrip(".") + ". Launching EC2 instance failed."
        act.update(Description=f"Launching a new EC2 instance.  Status Reason: {reason}",
                   StatusCode="Failed", StatusMessage=reason)
    else:
        act.update(Description=f"Launching a new EC2 instance: {instance}", StatusCode="Successful")
    group.__dict__.setdefault("ec2fleet_activities", []).insert(0, act)


@pre("autoscaling:DescribeScalingActivities")
def describe_scaling_activities(call):
    p = call.params
    name = p.get("AutoScalingGroupName")
    groups = backend(call).autoscaling_groups
    chosen = [groups[name]] if name in groups else [] if name else list(groups.values())
    acts = sorted((a for g in chosen for a in g.__dict__.get("ec2fleet_activities", [])),
                  key=lambda a: a["StartTime"], reverse=True)
    ids = p.get("ActivityIds") or []
    acts = [a for a in acts if not ids or a["ActivityId"] in ids]
    start = int(p.get("NextToken") or 0)
    size = int(p.get("MaxRecords") or 100)
    out = {"Activities": acts[start:start + size]}
    if start + size < len(acts):
        out["NextToken"] = str(start + size)
    return out


@post("autoscaling:UpdateAutoScalingGroup")
def retry_launches(call, reply):
    """AWS keeps trying to reach the desired capacity; a fixed group launches soon after the fix.
    moto only launches when the capacity numbers change."""
    if not reply.ok:
        return
    g = backend(call).autoscaling_groups.get(call.params.get("AutoScalingGroupName"))
    missing = (g.desired_capacity or 0) - len(g.instance_states) if g is not None else 0
    if missing > 0:  # counted on all instances: Pending ones (see readiness) are on their way
        g.replace_autoscaling_group_instances(missing, g.get_propagated_tags())
        backend(call).update_attached_elbs(g.name)
        backend(call).update_attached_target_groups(g.name)

_moto_instance_template = asg_models.InstanceState.launch_template


def _instance_template(self):
    lt = _moto_instance_template.fget(self)
    launched = getattr(self, "launched_version", None)
    return {**lt, "Version": launched} if lt and launched else lt


asg_models.InstanceState.launch_template = property(_instance_template)


def _outdated(g):
    if not g.ec2_launch_template:
        return []
    current = str(version_of(g.ec2_launch_template, g.launch_template_version).number)
    return [st for st in g.instance_states if (st.launch_template or {}).get("Version") != current]


@pre("autoscaling:StartInstanceRefresh")
def start_instance_refresh(call):
    """Replaces every outdated instance at once (AWS goes a batch at a time), deregistering it
    from the group's target groups; the refresh is InProgress until the new ones are InService."""
    g = group_of(call)
    key = (call.account, call.region, g.name)
    runs = _refreshes.setdefault(key, [])
    if any(r["Status"] == "InProgress" for r in runs):
        raise AwsError("InstanceRefreshInProgress",
                       "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
    prefs = call.params.get("Preferences") or {}
    outdated = _outdated(g) if str(prefs.get("SkipMatching", "false")).lower() == "true" else list(g.instance_states)
    be = backend(call)
    old = [st.instance.id for st in outdated]
    for iid in old:
        be.terminate_instance(iid, should_decrement=False)
    for arn in g.target_group_arns if old else []:
        be.elbv2_backend.deregister_targets(arn, [{"Id": iid} for iid in old])
    run = {"InstanceRefreshId": str(uuid.uuid4()), "Status": "InProgress"}
    runs.insert(0, run)
    return {"InstanceRefreshId": run["InstanceRefreshId"]}


@pre("autoscaling:DescribeInstanceRefreshes")
def describe_instance_refreshes(call):
    g = group_of(call)
    ids = call.params.get("InstanceRefreshIds") or []
    out = []
    for run in _refreshes.get((call.account, call.region, g.name), []):
        if ids and run["InstanceRefreshId"] not in ids:
            continue
        if run["Status"] == "InProgress" and all(
                st.lifecycle_state == "InService" for st in g.instance_states):
            run["Status"] = "Successful"
        out.append({"InstanceRefreshId": run["InstanceRefreshId"],
                    "AutoScalingGroupName": g.name, "Status": run["Status"],
                    "PercentageComplete": 100 if run["Status"] == "Successful" else 0})
    return {"InstanceRefreshes": out}
