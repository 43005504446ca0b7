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


# --- Security-group rule quota ----------------------------------------------
# AWS: 60 inbound rules per group by default, counted separately for IPv4 and IPv6; a rule naming a
# group counts once on each side, and one naming a prefix list counts as the list's MaxEntries (its
# "weight": 55 for CloudFront's origin-facing list). moto counts CIDRs and groups only, per
# permission, never prefix lists, so two CloudFront rules passed here and failed on AWS.
RULES_PER_GROUP = 60
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"

from moto.ec2.models import managed_prefixes as _prefixes  # noqa: E402
from moto.ec2.models import security_groups as _groups  # noqa: E402

_orig_default_pls = _prefixes.ManagedPrefixListBackend.create_default_pls


def _default_pls(self):
    _orig_default_pls(self)
    for pl in self.managed_prefix_lists.values():
        if pl.prefix_list_name == CLOUDFRONT_ORIGIN_FACING:
            pl.max_entries = 55  # AWS's documented weight; moto leaves it empty


_prefixes.ManagedPrefixListBackend.create_default_pls = _default_pls


def _weight(be, pl_id):
    pl = be.managed_prefix_lists.get(pl_id)
    return int(pl.max_entries) if pl is not None and pl.max_entries else 1


def _count(be, v4, v6, groups, prefix_lists):
    """(IPv4 rules, IPv6 rules) as AWS's quota counts them."""
    shared = groups + sum(_weight(be, p) for p in prefix_lists)
    return v4 + shared, v6 + shared


@pre("ec2:AuthorizeSecurityGroupIngress")
def rule_quota(call):
    p = call.params
    be = ec2(call)
    sg = be.get_security_group_by_name_or_id(p.get("GroupId") or p.get("GroupName"))
    if sg is None:
        return None  # moto says the group is unknown
    have = _count(be, sum(bool(r.ip_range.get("CidrIp")) for r in sg.ingress_rules),
                  sum(bool(r.ip_range.get("CidrIpv6")) for r in sg.ingress_rules),
                  sum(bool(r.source_group) for r in sg.ingress_rules),
                  [r.prefix_list_id for r in sg.ingress_rules if r.prefix_list_id])
    perms = list(p.get("IpPermissions") or [])
    if p.get("CidrIp") or p.get("SourceSecurityGroupName"):  # the old one-rule form
        perms.append({"IpRanges": [{"CidrIp": p["CidrIp"]}] if p.get("CidrIp") else [],
                      "UserIdGroupPairs": [{}] if p.get("SourceSecurityGroupName") else []})
    new = _count(be, sum(len(x.get("IpRanges") or []) for x in perms),
                 sum(len(x.get("Ipv6Ranges") or []) for x in perms),
                 sum(len(x.get("UserIdGroupPairs") or []) for x in perms),
                 [pl.get("PrefixListId") for x in perms for pl in x.get("PrefixListIds") or []])
    if have[0] + new[0] > RULES_PER_GROUP or have[1] + new[1] > RULES_PER_GROUP:
        raise AwsError("RulesPerSecurityGroupLimitExceeded",
                       "The maximum number of rules per security group has been reached.")
    return None


_orig_verify = _groups.SecurityGroupBackend._verify_group_will_respect_rule_count_limit


def _verify(self, group, current_rule_nb, ip_ranges, source_groups=None, egress=False):
    # Ingress is counted by rule_quota above, AWS's way; moto's own count (IPv4 and IPv6 together)
    # would refuse groups AWS accepts.
    if egress:
        _orig_verify(self, group, current_rule_nb, ip_ranges, source_groups, egress)


_groups.SecurityGroupBackend._verify_group_will_respect_rule_count_limit = _verify
