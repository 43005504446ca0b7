"""EC2 corrections: CreateLaunchTemplateVersion honours SourceVersion (moto drops
it, so the new version lost every inherited field, and keeps its UserData as a
plain string, so scaling out on it crashed), and RunInstances attaches the
instance profile to every instance it starts, also when it comes from the launch
template (moto only did the first instance, and only for an explicit parameter)."""
import copy
import re

from moto.ec2.models import ec2_backends

from . import post, pre
from ..awsresp import AwsError


def ec2(call):
    return ec2_backends[call.account][call.region]


def template_of(be, spec):
    if spec.get("LaunchTemplateId"):
        return be.get_launch_template(spec["LaunchTemplateId"])
    return be.get_launch_template_by_name(spec["LaunchTemplateName"])


def version_of(template, version):
    try:
        return template.get_version(version if version not in (None, "") else "$Default")
    except Exception:
        raise AwsError("InvalidLaunchTemplateId.VersionNotFound",
                       f"Could not find launch template version {version} for launch template {template.id}")


@pre("ec2:CreateLaunchTemplateVersion")
def create_version_from_source(call):
    p = call.params
    if not p.get("SourceVersion"):
        return None  # moto handles the plain case correctly
    be = ec2(call)
    template = template_of(be, p)
    source = version_of(template, p["SourceVersion"])
    # AWS: the new version starts as a copy of SourceVersion; given top-level fields override.
    data = copy.deepcopy(source.data)
    data.update(p.get("LaunchTemplateData") or {})
    version = template.create_version(data, p.get("VersionDescription"))
    return {"LaunchTemplateVersion": {
        "CreateTime": version.create_time, "CreatedBy": f"arn:aws:iam::{call.account}:root",
        "DefaultVersion": template.is_default(version), "LaunchTemplateData": version.data,
        "LaunchTemplateId": template.id, "LaunchTemplateName": template.name,
        "VersionDescription": version.description, "VersionNumber": version.number}}


def profile_spec(data):
    prof = (data or {}).get("IamInstanceProfile") or {}
    if prof.get("Arn"):
        return {"iam_instance_profile_arn": prof["Arn"]}
    if prof.get("Name"):
        return {"iam_instance_profile_name": prof["Name"]}
    return None


def associate_profile(be, instance_ids, spec):
    for iid in instance_ids:
        if iid not in be.iam_instance_profile_associations:
            be.associate_iam_instance_profile(instance_id=iid, **spec)


@post("ec2:RunInstances")
def profile_on_every_instance(call, reply):
    if not reply.ok:
        return
    p = call.params
    spec = profile_spec(p)
    if spec is None and p.get("LaunchTemplate"):
        be = ec2(call)
        lt = p["LaunchTemplate"]
        spec = profile_spec(version_of(template_of(be, lt), lt.get("Version")).data)
    if spec:
        associate_profile(ec2(call), re.findall(r"<instanceId>(i-[0-9a-f]+)</instanceId>", reply.text), spec)


# The primary ENI that RunInstances creates is DeleteOnTermination=true in AWS;
# moto leaves it behind (blocking subnet/SG/VPC deletes and showing as a leak).
from moto.ec2.models import instances as _instances  # noqa: E402

_orig_terminate = _instances.Instance.terminate


def _terminate(self, *args, **kwargs):
    for index, nic in self.nics.items():
        if index == 0 and getattr(nic, "description", None) == "Primary network interface":
            nic.delete_on_termination = True
    return _orig_terminate(self, *args, **kwargs)


_instances.Instance.terminate = _terminate


# moto parses UserData into its base64 type for CreateLaunchTemplate but not for a new
# version, and an Auto Scaling group launching from such a version then fails an assert.
from moto.core.types import Base64EncodedString  # noqa: E402
from moto.ec2.models import launch_templates as _templates  # noqa: E402
from moto.ec2.utils import parse_user_data  # noqa: E402

_orig_create_version = _templates.LaunchTemplate.create_version


def _create_version(self, data, description):
    if isinstance(data.get("UserData"), str) and not isinstance(data["UserData"], Base64EncodedString):
        data = {**data, "UserData": parse_user_data(data["UserData"])}
    return _orig_create_version(self, data, description)


_templates.LaunchTemplate.create_version = _create_version
