"""Leak checker: defaults excluded, leftovers listed, deletions reflected."""
import json
import os
import subprocess
import sys

from ec2fleet_emulator.leaks import find_leaks

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(url, account):
    p = subprocess.run([sys.executable, "-m", "ec2fleet_emulator.leaks", "--endpoint", url, "--account", account],
                       cwd=HERE, capture_output=True, text=True, timeout=120)
    return p.returncode, json.loads(p.stdout)


def test_fresh_account_has_no_leaks_cli(aws):
    aws("ec2").describe_vpcs()  # the default VPC etc. exist ...
    rc, report = cli(aws.url, aws.account)
    assert (rc, report["leaked"], report["errors"]) == (0, {}, {})  # ... and are not leaks


def test_leftovers_listed_then_gone_after_delete(aws, control):
    ec2, iam, ssm, logs, r53 = aws("ec2"), aws("iam"), aws("ssm"), aws("logs"), aws("route53")
    vpc = ec2.create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
    iam.create_role(RoleName="leaky", AssumeRolePolicyDocument="{}")
    ssm.put_parameter(Name="/fleet/x", Value="1", Type="String")
    logs.create_log_group(logGroupName="/fleet/leak")
    zone = r53.create_hosted_zone(Name="leak.example.com", CallerReference="leak")["HostedZone"]["Id"]
    rec = {"Name": "a.leak.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": rec}]})
    aws("events").put_rule(Name="leaky-rule", ScheduleExpression="rate(5 minutes)")
    rc, report = cli(aws.url, aws.account)
    assert rc == 1
    leaked = report["leaked"]
    assert leaked["ec2.vpc"] == [vpc] and leaked["iam.role"] == ["leaky"] and leaked["ssm.parameter"] == ["/fleet/x"]
    assert leaked["logs.log_group"] == ["/fleet/leak"] and leaked["events.rule"] == ["default/leaky-rule"]
    assert leaked["route53.record"] == [f"{zone}:a.leak.example.com.:A"] and leaked["route53.hosted_zone"] == [zone]
    assert control.leaks(aws.account)["leaked"] == leaked  # same report via the control endpoint
    ec2.delete_vpc(VpcId=vpc)
    iam.delete_role(RoleName="leaky")
    ssm.delete_parameter(Name="/fleet/x")
    logs.delete_log_group(logGroupName="/fleet/leak")
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": rec}]})
    r53.delete_hosted_zone(Id=zone)
    aws("events").delete_rule(Name="leaky-rule")
    assert find_leaks(aws.url, aws.account)["leaked"] == {}
