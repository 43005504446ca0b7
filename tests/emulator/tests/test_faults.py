"""Latency and fault injection from the profile, and its determinism."""
import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from ec2fleet_emulator.profile import Profile


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_throttle_nth_call_with_service_codes(aws, profile):
    profile({"faults": [{"operation": "ec2:DescribeVpcs", "nth": 2, "kind": "throttle", "account": aws.account},
                        {"operation": "codedeploy:ListApplications", "nth": 1, "kind": "throttle", "account": aws.account},
                        {"operation": "s3:ListBuckets", "nth": 1, "kind": "throttle", "account": aws.account},
                        {"operation": "iam:ListRoles", "nth": 1, "kind": "throttle", "account": aws.account}]})
    ec2 = aws("ec2")
    ec2.describe_vpcs()
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert err(e) == ("RequestLimitExceeded", 503)
    ec2.describe_vpcs()  # third call is fine again
    for svc, call, expected in [("codedeploy", "list_applications", ("ThrottlingException", 400)),
                                ("s3", "list_buckets", ("SlowDown", 503)),
                                ("iam", "list_roles", ("Throttling", 400))]:
        with pytest.raises(ClientError) as e:
            getattr(aws(svc), call)()
        assert err(e) == expected


def test_rate_limits_throttle_past_the_bucket_until_it_refills(aws, profile, control):
    profile({"rate_limits": {"route53": {"bucket": 3, "per_second": 2},
                             "ec2:Describe*": {"bucket": 2, "per_second": 1}}})
    r53, ec2 = aws("route53"), aws("ec2")
    for _ in range(3):
        r53.list_hosted_zones()
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone_count()  # the account-wide bucket is shared by every operation
    assert err(e) == ("Throttling", 400)
    assert e.value.response["Error"]["Message"] == "Rate exceeded"
    time.sleep(0.6)  # 2 tokens a second
    r53.list_hosted_zones()
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert err(e) == ("RequestLimitExceeded", 503)
    assert e.value.response["Error"]["Message"] == "Request limit exceeded."
    ec2.describe_subnets()  # each EC2 action has a bucket of its own
    ec2.create_vpc(CidrBlock="10.9.0.0/16")  # no limit for what the profile does not name
    faults = [c["fault"] for c in control.calls(account=aws.account)]
    assert faults.count("rate_limit") == 2


def test_http_500_and_503(aws, profile):
    profile({"faults": [{"operation": "ec2:DescribeSubnets", "kind": "http500", "nth": 1},
                        {"operation": "ec2:DescribeSubnets", "kind": "http503", "nth": 2}]})
    ec2 = aws("ec2")
    with pytest.raises(ClientError) as e:
        ec2.describe_subnets()
    assert err(e) == ("InternalFailure", 500)
    with pytest.raises(ClientError) as e:
        ec2.describe_subnets()
    assert err(e) == ("ServiceUnavailable", 503)
    ec2.describe_subnets()


def test_connection_reset(aws, profile, control):
    profile({"faults": [{"operation": "sts:GetCallerIdentity", "kind": "reset", "nth": 1}]})
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        aws("sts").get_caller_identity()
    assert aws("sts").get_caller_identity()["Account"] == aws.account
    logged = control.calls(operation="GetCallerIdentity", account=aws.account)
    assert logged[0]["fault"] == "reset"


def test_fail_for_good(aws, profile):
    profile({"faults": [{"operation": "iam:CreateRole", "kind": "error", "code": "AccessDenied",
                         "message": "not allowed", "status": 403}]})
    for _ in range(3):
        with pytest.raises(ClientError) as e:
            aws("iam").create_role(RoleName="never", AssumeRolePolicyDocument="{}")
        assert err(e) == ("AccessDenied", 403)
    assert aws("iam").list_roles()["Roles"] == []


def test_after_rule_fails_from_nth_on(aws, profile):
    profile({"faults": [{"operation": "logs:DescribeLogGroups", "kind": "http500", "after": 2}]})
    logs = aws("logs")
    logs.describe_log_groups()
    for _ in range(2):
        with pytest.raises(ClientError):
            logs.describe_log_groups()


def test_latency_applied_and_logged(aws, profile, control):
    profile({"seed": 1, "latency": {"ec2:DescribeVpcs": {"median_ms": 150, "p99_ms": 150}}})
    t0 = time.time()
    aws("ec2").describe_vpcs()
    assert time.time() - t0 >= 0.15
    assert control.calls(operation="DescribeVpcs", account=aws.account)[-1]["latency_ms"] == pytest.approx(150)


def test_same_profile_and_seed_same_schedule():
    spec = {"seed": 42, "latency": {"default": {"median_ms": 20, "p99_ms": 400}},
            "faults": [{"operation": "ec2:*", "kind": "throttle", "probability": 0.3}]}

    def schedule(p):
        return [(round(p.latency_ms("ec2:RunInstances", n), 6), bool(p.fault_for("ec2:RunInstances", n)))
                for n in range(1, 200)]
    a, b = schedule(Profile(spec)), schedule(Profile(spec))
    assert a == b
    assert a != schedule(Profile(dict(spec, seed=43)))
    faults = sum(f for _, f in a)
    assert 30 < faults < 90  # ~30 % of 199
    lat = sorted(l for l, _ in a)
    assert 15 < lat[len(lat) // 2] < 27  # median near 20 ms
    assert lat[-1] > 100  # a tail exists


def test_schedule_replays_over_the_wire(aws, profile, control):
    spec = {"seed": 7, "faults": [{"operation": "ssm:DescribeParameters", "kind": "http503", "probability": 0.5}]}

    def run():
        profile(spec)  # setting a profile restarts its schedule
        control.clear_calls()
        for _ in range(12):
            try:
                aws("ssm").describe_parameters()
            except ClientError:
                pass
        return [c["fault"] for c in control.calls(operation="DescribeParameters")]
    first = run()
    assert first == run() and "http503" in first and None in first
