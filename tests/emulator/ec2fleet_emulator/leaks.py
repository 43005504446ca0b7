"""Leak checker: everything a fleet provider can create that is still there,
minus the account's defaults. Uses boto3 against the endpoint, so it sees what
a client sees (deleted things are really gone, unlike /moto-api/data.json).

    python -m ec2fleet_emulator.leaks --endpoint URL --account ID --region R
prints a JSON report and exits 1 if anything leaked."""
import argparse
import json
import sys

from .client import client

ALL_CHECKS = []


def check(fn):
    ALL_CHECKS.append(fn)
    return fn


def _pages(c, op, key, **kw):
    out = []
    for page in c.get_paginator(op).paginate(**kw):
        out += page.get(key, [])
    return out


@check
def ec2_objects(mk):
    ec2 = mk("ec2")
    found = {}
    vpcs = ec2.describe_vpcs()["Vpcs"]
    default_vpcs = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    found["ec2.vpc"] = [v["VpcId"] for v in vpcs if v["VpcId"] not in default_vpcs]
    found["ec2.subnet"] = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                           if s["VpcId"] not in default_vpcs]
    found["ec2.internet_gateway"] = [
        g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]
        if not any(a.get("VpcId") in default_vpcs for a in g.get("Attachments", []))]
    found["ec2.route_table"] = [
        r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]
        if r["VpcId"] not in default_vpcs and not any(a.get("Main") for a in r.get("Associations", []))]
    # A VPC's own "default" group goes with the VPC; any other group is ours.
    found["ec2.security_group"] = [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                                   if g["GroupName"] != "default"]
    found["ec2.launch_template"] = [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    found["ec2.instance"] = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"]
                             for i in r["Instances"] if i["State"]["Name"] not in ("terminated",)]
    found["ec2.network_interface"] = [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]
                                      if n.get("VpcId") not in default_vpcs]
    found["ec2.elastic_ip"] = [a.get("AllocationId") or a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]]
    return found


@check
def elbv2_objects(mk):
    c = mk("elbv2")
    return {"elbv2.load_balancer": [lb["LoadBalancerArn"] for lb in c.describe_load_balancers()["LoadBalancers"]],
            "elbv2.target_group": [t["TargetGroupArn"] for t in c.describe_target_groups()["TargetGroups"]]}


@check
def autoscaling_objects(mk):
    c = mk("autoscaling")
    return {"autoscaling.group": [g["AutoScalingGroupName"] for g in c.describe_auto_scaling_groups()["AutoScalingGroups"]],
            "autoscaling.launch_configuration": [l["LaunchConfigurationName"] for l in
                                                 c.describe_launch_configurations()["LaunchConfigurations"]]}


@check
def iam_objects(mk):
    c = mk("iam")
    roles = [r["RoleName"] for r in _pages(c, "list_roles", "Roles")
             if not r["Path"].startswith("/aws-service-role/")]
    return {"iam.role": roles,
            "iam.instance_profile": [p["InstanceProfileName"] for p in _pages(c, "list_instance_profiles", "InstanceProfiles")],
            "iam.policy": [p["Arn"] for p in _pages(c, "list_policies", "Policies", Scope="Local")]}


@check
def s3_objects(mk):
    return {"s3.bucket": [b["Name"] for b in mk("s3").list_buckets().get("Buckets", [])]}


@check
def cloudtrail_objects(mk):
    return {"cloudtrail.trail": [t["TrailARN"] for t in mk("cloudtrail").describe_trails()["trailList"]]}


@check
def codedeploy_objects(mk):
    c = mk("codedeploy")
    apps = c.list_applications()["applications"]
    groups = [f"{a}/{g}" for a in apps for g in c.list_deployment_groups(applicationName=a)["deploymentGroups"]]
    return {"codedeploy.application": apps, "codedeploy.deployment_group": groups}


@check
def codepipeline_objects(mk):
    return {"codepipeline.pipeline": [p["name"] for p in mk("codepipeline").list_pipelines()["pipelines"]]}


@check
def events_objects(mk):
    c = mk("events")
    rules = []
    for bus in c.list_event_buses()["EventBuses"]:
        rules += [f"{bus['Name']}/{r['Name']}" for r in c.list_rules(EventBusName=bus["Name"])["Rules"]
                  if not r.get("ManagedBy")]
    buses = [b["Name"] for b in c.list_event_buses()["EventBuses"] if b["Name"] != "default"]
    return {"events.rule": rules, "events.event_bus": buses}


@check
def cloudfront_objects(mk):
    c = mk("cloudfront")
    dists = c.list_distributions()["DistributionList"].get("Items", [])
    pols = c.list_cache_policies(Type="custom")["CachePolicyList"].get("Items", [])
    return {"cloudfront.distribution": [d["Id"] for d in dists],
            "cloudfront.cache_policy": [p["CachePolicy"]["Id"] for p in pols]}


@check
def route53_objects(mk):
    c = mk("route53")
    zones, records = [], []
    for z in c.list_hosted_zones()["HostedZones"]:
        zones.append(z["Id"])
        for r in _pages(c, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=z["Id"]):
            if r["Type"] in ("SOA", "NS") and r["Name"] == z["Name"]:
                continue  # the zone's own apex records
            records.append(f"{z['Id']}:{r['Name']}:{r['Type']}")
    return {"route53.hosted_zone": zones, "route53.record": records}


@check
def ssm_objects(mk):
    params = _pages(mk("ssm"), "describe_parameters", "Parameters")
    return {"ssm.parameter": [p["Name"] for p in params if not p["Name"].startswith("/aws/")]}


@check
def logs_objects(mk):
    return {"logs.log_group": [g["logGroupName"] for g in _pages(mk("logs"), "describe_log_groups", "logGroups")]}


def find_leaks(endpoint, account=None, region="us-east-1"):
    """{"leaked": {kind: [ids]}, "errors": {...}, "count": n}; empty kinds are omitted."""
    def mk(service):
        return client(service, endpoint, account, region)
    leaked, errors = {}, {}
    for fn in ALL_CHECKS:
        try:
            for kind, ids in fn(mk).items():
                if ids:
                    leaked[kind] = ids
        except Exception as e:  # report, don't hide: a failing lister is itself a finding
            errors[fn.__name__] = f"{type(e).__name__}: {e}"
    return {"endpoint": endpoint, "account": account, "region": region, "leaked": leaked,
            "errors": errors, "count": sum(len(v) for v in leaked.values())}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ec2fleet_emulator.leaks")
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--account", default=None)
    ap.add_argument("--region", default="us-east-1")
    args = ap.parse_args(argv)
    report = find_leaks(args.endpoint, args.account, args.region)
    print(json.dumps(report, indent=2))
    return 1 if report["count"] or report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
