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


# --- Route 53 -----------------------------------------------------------------
def test_hosted_zone_ids_look_like_aws_ones_and_work_everywhere(aws):
    import re
    r53 = aws("route53")
    zones = [r53.create_hosted_zone(Name=f"z{i}.example.com", CallerReference=f"z{i}") for i in range(20)]
    ids = [z["HostedZone"]["Id"].split("/")[-1] for z in zones]
    assert all(re.fullmatch(r"Z[0-9A-Z]{13,20}", i) for i in ids), ids  # moto: most do not start with Z
    assert zones[0]["HostedZone"]["Id"] == f"/hostedzone/{ids[0]}"
    assert r53.get_hosted_zone(Id=ids[0])["HostedZone"]["Name"] == "z0.example.com."
    rr = {"Name": "www.z0.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    change = r53.change_resource_record_sets(HostedZoneId=ids[0], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": rr}]})["ChangeInfo"]
    assert r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    names = [r["Name"] for r in r53.list_resource_record_sets(HostedZoneId=ids[0])["ResourceRecordSets"]]
    assert "www.z0.example.com." in names
    r53.change_resource_record_sets(HostedZoneId=ids[0], ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": rr}]})
    for i in ids:
        r53.delete_hosted_zone(Id=i)
    assert r53.list_hosted_zones()["HostedZones"] == []


def test_delete_must_give_the_record_as_it_is(aws):
    r53 = aws("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="del")["HostedZone"]["Id"]
    www = {"Name": "www.example.com", "Type": "A", "TTL": 300,
           "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]}
    alias = {"Name": "cdn.example.com", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d111111abcdef8.cloudfront.net.", "EvaluateTargetHealth": False}}

    def change(*changes):
        return r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": a, "ResourceRecordSet": rr} for a, rr in changes]})
    change(("CREATE", www), ("CREATE", alias))
    mismatch = "[Tried to delete resource record set [name='www.example.com.', type='A'] " \
               "but the values provided do not match the current values]"
    # moto: InvalidInput "Invalid request: Expected exactly one of [AliasTarget, ...".
    for stale in (dict(www, TTL=60), dict(www, ResourceRecords=[{"Value": "192.0.2.1"}])):
        assert error(lambda: change(("DELETE", stale))) == ("InvalidChangeBatch", mismatch)
    assert error(lambda: change(("DELETE", dict(alias, AliasTarget=dict(alias["AliasTarget"], DNSName="other.net."))))) == (
        "InvalidChangeBatch", "[Tried to delete resource record set [name='cdn.example.com.', type='A'] "
                              "but the values provided do not match the current values]")
    assert error(lambda: change(("DELETE", dict(www, Name="nope.example.com")))) == (
        "InvalidChangeBatch", "[Tried to delete resource record set [name='nope.example.com.', type='A'] but it was not found]")
    # Every failed change is listed; nothing of the batch is applied.
    assert error(lambda: change(("DELETE", alias), ("DELETE", dict(www, TTL=1)), ("DELETE", dict(www, Type="AAAA")))) == (
        "InvalidChangeBatch", "[" + mismatch[1:-1] + ", Tried to delete resource record set "
                              "[name='www.example.com.', type='AAAA'] but it was not found]")
    # After an UPSERT only the new values delete it (moto: the old ones did too).
    new = dict(www, ResourceRecords=[{"Value": "192.0.2.9"}])
    change(("UPSERT", new))
    assert error(lambda: change(("DELETE", www)))[0] == "InvalidChangeBatch"
    # Exactly as it is: accepted, whatever the order of the values, with or without the final dot.
    change(("DELETE", dict(new, Name="www.example.com.")), ("DELETE", alias))
    change(("CREATE", www))
    change(("DELETE", dict(www, ResourceRecords=list(reversed(www["ResourceRecords"])))))
    left = [r["Type"] for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]]
    assert sorted(left) == ["NS", "SOA"]


# --- CloudFront: aliases need a certificate that covers them ----------------------
CNAME_DOC = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements"


def distribution(ref, aliases, viewer):
    return {"CallerReference": ref, "Comment": "", "Enabled": True,
            "Aliases": {"Quantity": len(aliases), "Items": aliases},
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example.com", "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            "ViewerCertificate": viewer}


def test_a_policy_with_caching_disabled_takes_nothing_in_its_key(aws):
    cf = aws("cloudfront")
    key = {"EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False,
           "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
           "QueryStringsConfig": {"QueryStringBehavior": "all"}}
    off = {"Name": "off", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0,
           "ParametersInCacheKeyAndForwardedToOrigin": key}
    assert error(lambda: cf.create_cache_policy(CachePolicyConfig=off)) == (
        "InvalidArgument", "The parameter QueryStringBehavior is invalid for policy with caching disabled.")
    key["QueryStringsConfig"] = {"QueryStringBehavior": "none"}
    key["EnableAcceptEncodingGzip"] = True
    assert error(lambda: cf.create_cache_policy(CachePolicyConfig=off))[1] == (
        "The parameter EnableAcceptEncodingGzip is invalid for policy with caching disabled.")
    key["EnableAcceptEncodingGzip"] = False
    assert cf.create_cache_policy(CachePolicyConfig=off)["CachePolicy"]["Id"]
    # One second of caching allows a key.
    on = dict(off, Name="on", MaxTTL=1, ParametersInCacheKeyAndForwardedToOrigin=dict(
        key, QueryStringsConfig={"QueryStringBehavior": "all"}, EnableAcceptEncodingGzip=True))
    assert cf.create_cache_policy(CachePolicyConfig=on)["CachePolicy"]["Id"]


def test_aliases_need_a_certificate_that_covers_them(aws):
    cf, acm = aws("cloudfront"), aws("acm")
    acm_cert = lambda name, *sans: {"ACMCertificateArn": acm.request_certificate(  # noqa: E731
        DomainName=name, **({"SubjectAlternativeNames": [name, *sans]} if sans else {}))["CertificateArn"],
        "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    # moto: all of these are accepted.
    assert error(lambda: cf.create_distribution(DistributionConfig=distribution(
        "default", ["www.example.com"], {"CloudFrontDefaultCertificate": True}))) == ("InvalidViewerCertificate", (
            "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted "
            f"certificate that validates your authorization to use the domain name. For more details, see: {CNAME_DOC}"))
    not_covering = ("InvalidViewerCertificate", "The certificate that is attached to your distribution doesn't cover "
                    f"the alternate domain name (CNAME) that you're trying to add. For more details, see: {CNAME_DOC}")
    wildcard = acm_cert("*.example.com")
    for alias in ("example.com", "a.b.example.com", "www.example.org"):
        assert error(lambda: cf.create_distribution(DistributionConfig=distribution(
            f"wild-{alias}", [alias], wildcard))) == not_covering, alias
    missing = dict(wildcard, ACMCertificateArn=wildcard["ACMCertificateArn"].replace("us-east-1", "eu-west-1"))
    assert error(lambda: cf.create_distribution(DistributionConfig=distribution("missing", ["www.example.com"], missing))) == (
        "InvalidViewerCertificate", "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
                                    "or doesn't include a valid certificate chain.")
    # Covered: the wildcard's one label, or a name among the certificate's SANs.
    made = cf.create_distribution(DistributionConfig=distribution("ok", ["www.example.com", "WWW2.example.com"], wildcard))
    did = made["Distribution"]["Id"]
    apex_too = acm_cert("example.com", "*.example.com")
    cfg = distribution("ok", ["example.com", "www.example.com"], apex_too)
    etag = cf.update_distribution(Id=did, IfMatch=made["ETag"], DistributionConfig=cfg)["ETag"]
    # An update that adds an alias the certificate does not cover is refused too.
    assert error(lambda: cf.update_distribution(Id=did, IfMatch=etag, DistributionConfig=dict(
        cfg, Aliases={"Quantity": 1, "Items": ["shop.example.net"]}))) == not_covering


# --- Auto Scaling: launch templates AWS cannot launch from -------------------------
AMI = "ami-12c6146b"


def subnet(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]


def test_a_group_on_a_template_aws_cannot_launch_is_refused(aws):
    ec2, asg = aws("ec2"), aws("autoscaling")
    sub = subnet(aws)
    bad = {"bad-ami": ({"ImageId": "ami-0000000000badbad0", "InstanceType": "t3.micro"},
                       "The image id '[ami-0000000000badbad0]' does not exist"),
           "bad-key": ({"ImageId": AMI, "InstanceType": "t3.micro", "KeyName": "nokey"},
                       "The key pair 'nokey' does not exist"),
           "bad-type": ({"ImageId": AMI, "InstanceType": "m5.medium"}, "Invalid value 'm5.medium' for InstanceType.")}
    for name, (data, reason) in bad.items():
        ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)
        # moto: the group is made and launches anyway.
        assert error(lambda: asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=1, MaxSize=1, LaunchTemplate={"LaunchTemplateName": name},
            VPCZoneIdentifier=sub)) == ("ValidationError", f"You must use a valid fully-formed launch template. {reason}")
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    ec2.create_launch_template(LaunchTemplateName="good", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=0, MaxSize=2, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "good"}, VPCZoneIdentifier=sub)
    assert error(lambda: asg.update_auto_scaling_group(
        AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "bad-key"}))[0] == "ValidationError"


def test_launches_that_fail_later_are_failed_activities_until_fixed(aws):
    ec2, asg = aws("ec2"), aws("autoscaling")
    sub = subnet(aws)
    ec2.create_key_pair(KeyName="ops")
    ec2.create_launch_template(LaunchTemplateName="ops-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "KeyName": "ops"})
    asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=0, MaxSize=3, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "ops-lt", "Version": "$Latest"},
                                  VPCZoneIdentifier=sub)
    count = lambda: len(asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]["Instances"])  # noqa: E731
    activities = lambda: asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"]  # noqa: E731
    first = activities()  # moto: none
    assert [(a["StatusCode"], a["Description"].startswith("Launching a new EC2 instance: i-")) for a in first] == [
        ("Successful", True)]
    # The key pair goes away: the next launch fails, the group keeps what it has.
    ec2.delete_key_pair(KeyName="ops")
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=2)
    assert count() == 1
    failed = activities()[0]
    assert failed["StatusCode"] == "Failed" and failed["Progress"] == 100
    assert failed["StatusMessage"] == "The key pair 'ops' does not exist. Launching EC2 instance failed."
    assert failed["Description"] == "Launching a new EC2 instance.  Status Reason: " + failed["StatusMessage"]
    assert "increasing the capacity from 1 to 2" in failed["Cause"]
    # A new $Latest with an AMI that does not exist fails the same way.
    ec2.create_launch_template_version(LaunchTemplateName="ops-lt", SourceVersion="1", LaunchTemplateData={
        "ImageId": "ami-0000000000badbad0"})
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=2)
    assert count() == 1
    assert activities()[0]["StatusMessage"] == ("The image id '[ami-0000000000badbad0]' does not exist. "
                                               "Launching EC2 instance failed.")
    # The fix: a good version. The group launches what it lacks; newest activity first.
    ec2.create_launch_template_version(LaunchTemplateName="ops-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg.update_auto_scaling_group(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "ops-lt", "Version": "3"})
    assert count() == 2
    assert [a["StatusCode"] for a in activities()] == ["Successful", "Failed", "Failed", "Successful"]


# --- ACM: validation ---------------------------------------------------------
def test_a_requested_certificate_is_pending_until_validated(aws, control):
    acm = aws("acm")
    arn = acm.request_certificate(DomainName="www.example.com", ValidationMethod="DNS")["CertificateArn"]
    status = lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]  # noqa: E731
    assert status() == "PENDING_VALIDATION"
    control.validate_certificate(aws.account, arn)
    assert status() == "ISSUED"
