"""Deletes AWS refuses (moto allows): refused with AWS's error codes in strict mode."""
import json

import pytest
from botocore.exceptions import ClientError

AMI = "ami-12c6146b"


def code(e):
    return e.value.response["Error"]["Code"]


def refused(fn, expected):
    with pytest.raises(ClientError) as e:
        fn()
    assert code(e) == expected, e.value.response
    return e


@pytest.fixture
def net(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subs = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"us-east-1{'ab'[i]}")["Subnet"]["SubnetId"]
            for i in range(2)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.create_security_group(GroupName="web", Description="d", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subs": subs, "igw": igw, "sg": sg}


def test_subnet_with_instance_or_eni_or_alb(aws, net):
    ec2 = aws("ec2")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=net["subs"][0])["Instances"][0]["InstanceId"]
    refused(lambda: ec2.delete_subnet(SubnetId=net["subs"][0]), "DependencyViolation")
    ec2.terminate_instances(InstanceIds=[iid])
    eni = ec2.create_network_interface(SubnetId=net["subs"][0])["NetworkInterface"]["NetworkInterfaceId"]
    refused(lambda: ec2.delete_subnet(SubnetId=net["subs"][0]), "DependencyViolation")
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=net["subs"][0])
    ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.8.9.0/24", AvailabilityZone="us-east-1c")
    lb = aws("elbv2").create_load_balancer(Name="strict-lb", Subnets=net["subs"][1:] + [
        ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.8.9.0/24"]}])["Subnets"][0]["SubnetId"]])
    refused(lambda: ec2.delete_subnet(SubnetId=net["subs"][1]), "DependencyViolation")
    aws("elbv2").delete_load_balancer(LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"])
    ec2.delete_subnet(SubnetId=net["subs"][1])


def test_security_group_in_use(aws, net):
    ec2 = aws("ec2")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=net["subs"][0],
                            SecurityGroupIds=[net["sg"]])["Instances"][0]["InstanceId"]
    refused(lambda: ec2.delete_security_group(GroupId=net["sg"]), "DependencyViolation")
    ec2.terminate_instances(InstanceIds=[iid])
    other = ec2.create_security_group(GroupName="app", Description="d", VpcId=net["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": net["sg"]}]}])
    refused(lambda: ec2.delete_security_group(GroupId=net["sg"]), "DependencyViolation")  # referenced by a rule
    ec2.delete_security_group(GroupId=other)
    lb = aws("elbv2").create_load_balancer(Name="sg-lb", Subnets=net["subs"], SecurityGroups=[net["sg"]])
    refused(lambda: ec2.delete_security_group(GroupId=net["sg"]), "DependencyViolation")
    aws("elbv2").delete_load_balancer(LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"])
    ec2.delete_security_group(GroupId=net["sg"])


def test_detach_igw_with_public_addresses(aws, net):
    ec2 = aws("ec2")
    res = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": net["subs"][0], "AssociatePublicIpAddress": True}])
    iid = res["Instances"][0]["InstanceId"]
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0].get("PublicIpAddress")
    e = refused(lambda: ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"]), "DependencyViolation")
    assert "mapped public address" in e.value.response["Error"]["Message"]
    ec2.terminate_instances(InstanceIds=[iid])
    lb = aws("elbv2").create_load_balancer(Name="igw-lb", Subnets=net["subs"], Scheme="internet-facing")
    refused(lambda: ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"]), "DependencyViolation")
    aws("elbv2").delete_load_balancer(LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"])
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])


def test_vpc_with_igw_or_security_group(aws, net):
    ec2 = aws("ec2")
    for s in net["subs"]:
        ec2.delete_subnet(SubnetId=s)
    refused(lambda: ec2.delete_internet_gateway(InternetGatewayId=net["igw"]), "DependencyViolation")
    refused(lambda: ec2.delete_vpc(VpcId=net["vpc"]), "DependencyViolation")  # IGW attached (moto: deletes)
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
    ec2.delete_internet_gateway(InternetGatewayId=net["igw"])
    refused(lambda: ec2.delete_vpc(VpcId=net["vpc"]), "DependencyViolation")  # SG "web" left
    ec2.delete_security_group(GroupId=net["sg"])
    ec2.delete_vpc(VpcId=net["vpc"])


def test_iam_delete_policy_attached_and_profile_with_role(aws):
    iam = aws("iam")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument="{}")
    arn = iam.create_policy(PolicyName="p1", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r1", PolicyArn=arn)
    e = refused(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    iam.create_instance_profile(InstanceProfileName="ip1")
    iam.add_role_to_instance_profile(InstanceProfileName="ip1", RoleName="r1")
    refused(lambda: iam.delete_instance_profile(InstanceProfileName="ip1"), "DeleteConflict")
    iam.remove_role_from_instance_profile(InstanceProfileName="ip1", RoleName="r1")
    iam.delete_instance_profile(InstanceProfileName="ip1")
    iam.detach_role_policy(RoleName="r1", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName="r1")  # the role is deletable because the policy went the right way


def test_strict_switch_off_gives_plain_moto(aws, profile):
    profile({"strict": False})
    iam = aws("iam")
    iam.create_role(RoleName="r2", AssumeRolePolicyDocument="{}")
    arn = iam.create_policy(PolicyName="p2", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r2", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)  # lax, like moto


def _distribution(aws, enabled=True):
    cf = aws("cloudfront")
    return cf, cf.create_distribution(DistributionConfig={
        "CallerReference": f"d-{enabled}", "Comment": "", "Enabled": enabled,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})


def test_cloudfront_delete_enabled_or_stale_etag(aws):
    cf, d = _distribution(aws)
    did, etag = d["Distribution"]["Id"], d["ETag"]
    e = refused(lambda: cf.delete_distribution(Id=did, IfMatch=etag), "DistributionNotDisabled")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    cfg = cf.get_distribution_config(Id=did)["DistributionConfig"]
    cfg["Enabled"] = False
    refused(lambda: cf.update_distribution(Id=did, IfMatch="stale", DistributionConfig=cfg), "PreconditionFailed")
    new_etag = cf.update_distribution(Id=did, IfMatch=etag, DistributionConfig=cfg)["ETag"]
    e = refused(lambda: cf.delete_distribution(Id=did, IfMatch=etag), "PreconditionFailed")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    cf.delete_distribution(Id=did, IfMatch=new_etag)


def test_cache_policy_in_use(aws):
    cf = aws("cloudfront")
    pid = cf.create_cache_policy(CachePolicyConfig={
        "Name": "inuse", "MinTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}})
    cf.create_distribution(DistributionConfig={
        "CallerReference": "inuse", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": pid["CachePolicy"]["Id"]}})
    refused(lambda: cf.delete_cache_policy(Id=pid["CachePolicy"]["Id"], IfMatch=pid["ETag"]), "CachePolicyInUse")


def test_acm_certificate_in_use(aws, net):
    acm, elb = aws("acm"), aws("elbv2")
    cert = acm.request_certificate(DomainName="fleet.example.com")["CertificateArn"]
    lb = elb.create_load_balancer(Name="acm-lb", Subnets=net["subs"])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="acm-tg", Protocol="HTTP", Port=80, VpcId=net["vpc"])["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
    refused(lambda: acm.delete_certificate(CertificateArn=cert), "ResourceInUseException")
    elb.delete_listener(ListenerArn=listener)
    acm.delete_certificate(CertificateArn=cert)
