"""Strict deletes: refuse what AWS refuses, with AWS's error codes, so a wrong
teardown order fails here as it would in AWS (moto lets most of these through).
Active while the profile's `strict` switch is on (default)."""
from moto.acm.models import acm_backends
from moto.cloudfront.models import cloudfront_backends
from moto.ec2.models import ec2_backends
from moto.elbv2.models import elbv2_backends
from moto.iam.models import iam_backends

from .awsresp import AwsError
from .ext import pre

LIVE = ("pending", "running", "stopping", "stopped", "shutting-down")


def ec2(call):
    return ec2_backends[call.account][call.region]


def elbv2(call):
    return elbv2_backends[call.account][call.region]


def live_instances(be):
    return [i for r in be.all_reservations() for i in r.instances if i.state in LIVE]


def _sg_ids(objs):
    return {getattr(g, "id", g) for g in objs or []}


def dependency(message):
    return AwsError("DependencyViolation", message, 400)


# --- EC2 ------------------------------------------------------------------
@pre("ec2:DeleteSubnet", strict=True)
def delete_subnet(call):
    sid = call.params.get("SubnetId")
    be = ec2(call)
    used = any(i.subnet_id == sid for i in live_instances(be))
    used = used or any(getattr(e.subnet, "id", e.subnet) == sid for e in be.enis.values())
    used = used or any(sid in [getattr(s, "id", s) for s in lb.subnets] for lb in elbv2(call).load_balancers.values())
    if used:
        raise dependency(f"The subnet '{sid}' has dependencies and cannot be deleted.")


def _sg_users(call, gid):
    be = ec2(call)
    if any(gid in _sg_ids(i.security_groups) for i in live_instances(be)):
        return True
    if any(gid in _sg_ids(e.group_set) for e in be.enis.values()):
        return True
    if any(gid in (lb.security_groups or []) for lb in elbv2(call).load_balancers.values()):
        return True
    for groups in be.groups.values():  # another group's rule that names this one
        for sg in groups.values():
            if sg.id == gid:
                continue
            for rule in list(sg.ingress_rules) + list(sg.egress_rules):
                if (rule.source_group or {}).get("GroupId") == gid:
                    return True
    return False


@pre("ec2:DeleteSecurityGroup", strict=True)
def delete_security_group(call):
    gid = call.params.get("GroupId")
    if not gid and call.params.get("GroupName"):
        sg = ec2(call).get_security_group_by_name_or_id(call.params["GroupName"])
        gid = sg.id if sg else None
    if gid and _sg_users(call, gid):
        raise dependency(f"resource {gid} has a dependent object")


def _public_addresses_in(call, vpc_id):
    be = ec2(call)
    if any(i.vpc_id == vpc_id and i.public_ip for i in live_instances(be)):
        return True
    for a in be.addresses:  # an associated Elastic IP in this VPC
        where = getattr(a.instance, "vpc_id", None) or getattr(getattr(a.eni, "subnet", None), "vpc_id", None)
        if where == vpc_id:
            return True
    return any(lb.vpc_id == vpc_id and lb.scheme == "internet-facing" for lb in elbv2(call).load_balancers.values())


@pre("ec2:DetachInternetGateway", strict=True)
def detach_internet_gateway(call):
    vpc_id = call.params.get("VpcId")
    if _public_addresses_in(call, vpc_id):
        raise dependency(f"Network {vpc_id} has some mapped public address(es). "
                         f"Please unmap those public address(es) before detaching the gateway.")


@pre("ec2:DeleteVpc", strict=True)
def delete_vpc(call):
    vpc_id = call.params.get("VpcId")
    be = ec2(call)
    igw_attached = any(getattr(g.vpc, "id", None) == vpc_id for g in be.internet_gateways.values())
    extra_sgs = [sg for sg in be.groups.get(vpc_id, {}).values() if sg.name != "default"]
    lbs = [lb for lb in elbv2(call).load_balancers.values() if lb.vpc_id == vpc_id]
    enis = [e for e in be.enis.values() if getattr(e.subnet, "vpc_id", None) == vpc_id]
    if igw_attached or extra_sgs or lbs or enis:
        raise dependency(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")


@pre("ec2:DeleteInternetGateway", strict=True)
def delete_internet_gateway(call):
    gid = call.params.get("InternetGatewayId")
    igw = ec2(call).internet_gateways.get(gid)
    if igw is not None and igw.vpc is not None:
        raise dependency(f"The internetGateway '{gid}' has dependencies and cannot be deleted.")


# --- IAM ------------------------------------------------------------------
@pre("iam:DeletePolicy", strict=True)
def delete_policy(call):
    arn = call.params.get("PolicyArn")
    policy = iam_backends[call.account]["aws"].managed_policies.get(arn)
    if policy is not None and policy.attachment_count > 0:
        raise AwsError("DeleteConflict", "Cannot delete a policy attached to entities.", 409)


@pre("iam:DeleteInstanceProfile", strict=True)
def delete_instance_profile(call):
    name = call.params.get("InstanceProfileName")
    prof = iam_backends[call.account]["aws"].instance_profiles.get(name)
    if prof is not None and prof.roles:
        raise AwsError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)


# --- CloudFront -----------------------------------------------------------
def _distribution(call):
    return cloudfront_backends[call.account]["aws"].distributions.get(call.params.get("Id"))


def _if_match(call, dist):
    if_match = call.params.get("IfMatch")
    if not if_match:
        raise AwsError("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
    if if_match != dist.etag:
        raise AwsError("PreconditionFailed", "The precondition given in one or more of the request header "
                                             "fields evaluated to false.", 412)


@pre("cloudfront:DeleteDistribution", strict=True)
def delete_distribution(call):
    dist = _distribution(call)
    if dist is None:
        return
    _if_match(call, dist)
    if str(dist.distribution_config.__dict__.get("Enabled")).lower() == "true" or dist.status != "Deployed":
        raise AwsError("DistributionNotDisabled",
                       "The distribution you are trying to delete has not been disabled.", 409)


@pre("cloudfront:UpdateDistribution", strict=True)
def update_distribution(call):
    dist = _distribution(call)
    if dist is not None:
        _if_match(call, dist)


# --- ACM ------------------------------------------------------------------
@pre("acm:DeleteCertificate", strict=True)
def delete_certificate(call):
    arn = call.params.get("CertificateArn")
    users = []
    for lb in elbv2(call).load_balancers.values():
        for listener in lb.listeners.values():
            certs = [c.get("CertificateArn") if isinstance(c, dict) else c for c in (listener.certificates or [])]
            if arn in certs:
                users.append(lb.arn)
    for dist in cloudfront_backends[call.account]["aws"].distributions.values():
        vc = dist.distribution_config.__dict__.get("ViewerCertificate")
        if getattr(vc, "acm_certificate_arn", None) == arn:
            users.append(dist.arn)
    if users and arn in acm_backends[call.account][call.region]._certificates:
        raise AwsError("ResourceInUseException", f"Certificate {arn} in account {call.account} is in use.", 400)
