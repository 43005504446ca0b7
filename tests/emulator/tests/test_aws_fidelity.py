"""AWS rules and texts moto lacks or gets wrong: quotas, validation, ID shapes, exact messages."""
import pytest
from botocore.exceptions import ClientError

CLOUDFRONT_PL = "com.amazonaws.global.cloudfront.origin-facing"


def error(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# --- EC2: security-group rule quota ------------------------------------------
def cloudfront_list(ec2):
    lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_PL]}])["PrefixLists"]
    assert len(lists) == 1 and lists[0]["MaxEntries"] == 55, lists  # moto: no MaxEntries
    return lists[0]["PrefixListId"]


def test_cloudfront_prefix_list_weighs_55_rules_against_the_quota_of_60(aws):
    ec2 = aws("ec2")
    pl = cloudfront_list(ec2)
    assert cloudfront_list(aws("ec2", region="eu-west-1"))  # in every region
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    from_cf = lambda port: {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,  # noqa: E731
                            "PrefixListIds": [{"PrefixListId": pl}]}
    # Two ports from CloudFront: 110 rules. moto: accepted.
    assert error(lambda: ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[from_cf(80), from_cf(443)])) == (
        "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"] == []  # atomic
    # One port from CloudFront and a few CIDRs: 55 + 5 = 60, at the quota.
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[from_cf(443)])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": f"203.0.113.{i}/32"} for i in range(5)]}])
    # The 61st: refused, also when it comes on its own in a later call.
    assert error(lambda: ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                    "IpRanges": [{"CidrIp": "198.51.100.1/32"}]}]))[0] == "RulesPerSecurityGroupLimitExceeded"
    # IPv6 is counted apart from IPv4 (the prefix list counts on both sides).
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "Ipv6Ranges": [{"CidrIpv6": f"2001:db8::{i:x}/128"} for i in range(1, 6)]}])


# --- S3: creating a bucket that exists -----------------------------------------
def test_us_east_1_recreate_of_own_bucket_is_200(aws):
    # AWS's legacy us-east-1 behaviour (moto agrees: a guard against regressions).
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"mine-{aws.account}")
    again = s3.create_bucket(Bucket=f"mine-{aws.account}")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_recreate_of_own_bucket_elsewhere_is_already_owned_by_you(aws):
    s3 = aws("s3", region="eu-west-1")
    where = {"CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    s3.create_bucket(Bucket=f"mine-eu-{aws.account}", **where)
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=f"mine-eu-{aws.account}", **where)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_a_bucket_of_another_account_already_exists_everywhere(aws, region):
    from ec2fleet_emulator.client import client
    other = client("s3", aws.url, f"0{aws.account[1:]}", region)  # never this test's account
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    name = f"theirs-{region}-{aws.account}"
    other.create_bucket(Bucket=name, **where)
    with pytest.raises(ClientError) as e:
        aws("s3", region=region).create_bucket(Bucket=name, **where)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    # moto: no final period.
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all "
                               "users of the system. Please select a different name and try again.")
