"""The seed's stack end to end: built and torn down correctly it leaves nothing;
torn down in a wrong order it fails with AWS's error codes."""
import pytest
from botocore.exceptions import ClientError

from ec2fleet_emulator.leaks import find_leaks
from seed_stack import build, teardown


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_stack_builds_and_tears_down_clean(aws):
    r = build(aws)
    report = find_leaks(aws.url, aws.account)
    assert report["errors"] == {}
    kinds = set(report["leaked"])
    assert {"ec2.vpc", "ec2.instance", "elbv2.load_balancer", "autoscaling.group", "iam.role", "s3.bucket",
            "cloudtrail.trail", "codedeploy.application", "codepipeline.pipeline", "events.rule",
            "cloudfront.distribution", "cloudfront.cache_policy", "route53.record", "logs.log_group"} <= kinds
    teardown(aws, r)
    report = find_leaks(aws.url, aws.account)
    assert report["leaked"] == {} and report["errors"] == {}, report


def test_stack_wrong_order_fails_with_aws_codes(aws):
    r = build(aws)
    ec2, iam, cf, elb, s3 = aws("ec2"), aws("iam"), aws("cloudfront"), aws("elbv2"), aws("s3")
    wrong = [
        (lambda: ec2.delete_vpc(VpcId=r["vpc"]), "DependencyViolation"),
        (lambda: ec2.detach_internet_gateway(InternetGatewayId=r["igw"], VpcId=r["vpc"]), "DependencyViolation"),
        (lambda: ec2.delete_internet_gateway(InternetGatewayId=r["igw"]), "DependencyViolation"),
        (lambda: ec2.delete_subnet(SubnetId=r["subnets"][0]), "DependencyViolation"),
        (lambda: ec2.delete_security_group(GroupId=r["alb_sg"]), "DependencyViolation"),
        (lambda: ec2.delete_security_group(GroupId=r["inst_sg"]), "DependencyViolation"),
        (lambda: iam.delete_policy(PolicyArn=r["policy"]), "DeleteConflict"),
        (lambda: iam.delete_instance_profile(InstanceProfileName="fleet-profile"), "DeleteConflict"),
        (lambda: iam.delete_role(RoleName="fleet-instance"), "DeleteConflict"),
        (lambda: cf.delete_distribution(Id=r["dist"], IfMatch=cf.get_distribution(Id=r["dist"])["ETag"]), "DistributionNotDisabled"),
        (lambda: cf.delete_distribution(Id=r["dist"], IfMatch="STALE"), "PreconditionFailed"),
        (lambda: cf.delete_cache_policy(Id=r["cache_policy"], IfMatch=cf.get_cache_policy(Id=r["cache_policy"])["ETag"]), "CachePolicyInUse"),
        (lambda: elb.delete_target_group(TargetGroupArn=r["tg"]), "ResourceInUse"),
        (lambda: s3.delete_bucket(Bucket=r["artifacts"]), "BucketNotEmpty"),
    ]
    for fn, expected in wrong:
        with pytest.raises(ClientError) as e:
            fn()
        assert code(e) == expected
    # Nothing was half-deleted: the right order still cleans up completely.
    teardown(aws, r)
    assert find_leaks(aws.url, aws.account)["leaked"] == {}


def test_stack_survives_faults_with_sdk_retries(aws, profile, control):
    """Throttling/5xx on many calls: an SDK with retries still builds and tears down cleanly."""
    from botocore.config import Config
    from ec2fleet_emulator.client import client
    profile({"seed": 5, "latency": {"default": {"median_ms": 1, "p99_ms": 5}}, "faults": [
        {"operation": "*", "kind": "throttle", "probability": 0.08, "account": aws.account},
        {"operation": "*", "kind": "http503", "probability": 0.03, "account": aws.account}]})
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 8})

    def mk(service, region="us-east-1"):
        return client(service, aws.url, aws.account, region, config=retrying)
    mk.account, mk.url = aws.account, aws.url
    r = build(mk, name="retry")
    teardown(mk, r, name="retry")
    faults = [c for c in control.calls(account=aws.account) if c["fault"]]
    assert len(faults) >= 5 and {f["fault"] for f in faults} == {"throttle", "http503"}
    assert find_leaks(aws.url, aws.account)["leaked"] == {}
