"""Behaviours moto 5.2.5 gets wrong, corrected."""
import json

import pytest
from botocore.exceptions import ClientError

AMI = "ami-12c6146b"


def network(aws, n=3, cidr="10.4"):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subs = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"us-east-1{'abc'[i]}")["Subnet"]["SubnetId"]
            for i in range(n)]
    return vpc, subs


def profile_named(aws, name):
    iam = aws("iam")
    iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=f"{name}-role")


def test_launch_template_version_inherits_source_version(aws):
    ec2 = aws("ec2")
    ec2.create_launch_template(LaunchTemplateName="src-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "UserData": "ZWNobyBoaQ==", "KeyName": "k"})
    v = ec2.create_launch_template_version(LaunchTemplateName="src-lt", SourceVersion="1",
                                           VersionDescription="bigger", LaunchTemplateData={"InstanceType": "t3.large"})
    assert v["LaunchTemplateVersion"]["VersionNumber"] == 2
    data = ec2.describe_launch_template_versions(LaunchTemplateName="src-lt", Versions=["2"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["InstanceType"] == "t3.large" and data["ImageId"] == AMI and data["KeyName"] == "k"
    assert data["UserData"] == "ZWNobyBoaQ=="
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template_version(LaunchTemplateName="src-lt", SourceVersion="9", LaunchTemplateData={})
    assert e.value.response["Error"]["Code"] == "InvalidLaunchTemplateId.VersionNotFound"


def test_asg_spreads_over_subnets_with_instance_profile(aws):
    ec2, asg = aws("ec2"), aws("autoscaling")
    _, subs = network(aws)
    profile_named(aws, "spread-prof")
    ec2.create_launch_template(LaunchTemplateName="spread-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "spread-prof"}})
    asg.create_auto_scaling_group(AutoScalingGroupName="spread", MinSize=0, MaxSize=9, DesiredCapacity=6,
                                  LaunchTemplate={"LaunchTemplateName": "spread-lt", "Version": "$Latest"},
                                  VPCZoneIdentifier=",".join(subs))
    ids = [i["InstanceId"] for i in asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]]
    insts = [i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]]
    per_subnet = {s: sum(i["SubnetId"] == s for i in insts) for s in subs}
    assert per_subnet == {s: 2 for s in subs}
    assert {i["Placement"]["AvailabilityZone"] for i in insts} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert all(i["IamInstanceProfile"]["Arn"].endswith("instance-profile/spread-prof") for i in insts)


def test_run_instances_profile_on_every_instance_and_from_template(aws):
    ec2 = aws("ec2")
    _, subs = network(aws, 1, "10.5")
    profile_named(aws, "ri-prof")
    ec2.create_launch_template(LaunchTemplateName="ri-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "ri-prof"}})
    res = ec2.run_instances(MinCount=3, MaxCount=3, SubnetId=subs[0], LaunchTemplate={"LaunchTemplateName": "ri-lt"})
    ids = [i["InstanceId"] for i in res["Instances"]]
    insts = [i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]]
    assert len(insts) == 3 and all("ri-prof" in i["IamInstanceProfile"]["Arn"] for i in insts)


def test_scaled_in_and_deleted_asg_targets_are_deregistered(aws, control):
    ec2, asg, elb = aws("ec2"), aws("autoscaling"), aws("elbv2")
    vpc, subs = network(aws, 2, "10.6")
    tg = elb.create_target_group(Name="dereg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    ec2.create_launch_template(LaunchTemplateName="dereg-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="dereg", MinSize=0, MaxSize=4, DesiredCapacity=3,
                                  LaunchTemplate={"LaunchTemplateName": "dereg-lt"}, VPCZoneIdentifier=",".join(subs),
                                  TargetGroupARNs=[tg])

    def health(targets=None):
        kw = {"Targets": [{"Id": t} for t in targets]} if targets else {}
        return {d["Target"]["Id"]: d["TargetHealth"]["State"]
                for d in elb.describe_target_health(TargetGroupArn=tg, **kw)["TargetHealthDescriptions"]}
    before = health()
    assert len(before) == 3 and set(before.values()) == {"healthy"}
    asg.set_desired_capacity(AutoScalingGroupName="dereg", DesiredCapacity=1)
    after = health()
    assert len(after) == 1  # moto: all 3 stay "healthy"
    gone = [t for t in before if t not in after]
    assert set(health(gone).values()) == {"draining"}
    control.advance(31)  # past the deregistration delay
    assert set(health(gone).values()) == {"unused"}
    asg.delete_auto_scaling_group(AutoScalingGroupName="dereg", ForceDelete=True)
    assert health() == {}


def test_terminated_instance_primary_eni_is_deleted(aws):
    ec2 = aws("ec2")
    _, subs = network(aws, 1, "10.7")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subs[0])["Instances"][0]["InstanceId"]
    assert len(ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": subs}])["NetworkInterfaces"]) == 1
    ec2.terminate_instances(InstanceIds=[iid])
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": subs}])["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=subs[0])


def test_cloudtrail_delete_by_arn(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"ct-{aws.account}")
    arn = aws("cloudtrail").create_trail(Name="trail1", S3BucketName=f"ct-{aws.account}")["TrailARN"]
    aws("cloudtrail").delete_trail(Name=arn)
    assert aws("cloudtrail").describe_trails()["trailList"] == []
    with pytest.raises(ClientError) as e:
        aws("cloudtrail").delete_trail(Name="trail1")
    assert e.value.response["Error"]["Code"] == "TrailNotFoundException"


def test_cloudfront_update_issues_new_etag_and_checks_cache_policy(aws):
    cf = aws("cloudfront")
    base = {"CallerReference": "etag", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                                  "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                     "CachePolicyId": "00000000-0000-0000-0000-000000000000"}}
    with pytest.raises(ClientError) as e:
        cf.create_distribution(DistributionConfig=base)
    assert e.value.response["Error"]["Code"] == "NoSuchCachePolicy"
    base["DefaultCacheBehavior"]["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # managed
    d = cf.create_distribution(DistributionConfig=base)
    got = cf.get_distribution_config(Id=d["Distribution"]["Id"])
    upd = cf.update_distribution(Id=d["Distribution"]["Id"], IfMatch=got["ETag"], DistributionConfig=got["DistributionConfig"])
    assert upd["ETag"] != got["ETag"] and cf.get_distribution(Id=d["Distribution"]["Id"])["ETag"] == upd["ETag"]


SECURE_ONLY = lambda bucket: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def insecure(client):
    client.meta.events.register("before-sign.s3.*", lambda request, **_: request.headers.__setitem__(
        "x-ec2fleet-insecure-transport", "1"))
    return client


def test_secure_transport_condition_is_evaluated(aws):
    s3 = aws("s3")
    bucket = f"tls-{aws.account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=SECURE_ONLY(bucket))
    # Over TLS (the provider's case): allowed. moto: 403 on every object call.
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert s3.head_object(Bucket=bucket, Key="k")["ContentLength"] == 1
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    # Plain HTTP: denied, bucket and object calls alike.
    plain = insecure(aws("s3"))
    for call in (lambda: plain.get_object(Bucket=bucket, Key="k"), lambda: plain.put_object(Bucket=bucket, Key="j", Body=b"x"),
                 lambda: plain.list_objects_v2(Bucket=bucket)):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] in ("AccessDenied", "403")
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_unconditional_deny_still_denies(aws):
    s3 = aws("s3")
    bucket = f"deny-{aws.account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/secret/*"}]}))
    s3.put_object(Bucket=bucket, Key="secret/a", Body=b"x")
    s3.put_object(Bucket=bucket, Key="public/a", Body=b"x")
    s3.get_object(Bucket=bucket, Key="public/a")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="secret/a")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_get_bucket_versioning_has_s3s_root_element(aws):
    # The AWS Rust SDK refuses moto's generic <GetBucketVersioningResponse> root.
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"ver-{aws.account}")
    s3.put_bucket_versioning(Bucket=f"ver-{aws.account}", VersioningConfiguration={"Status": "Enabled"})
    bodies = []
    s3.meta.events.register("after-call.s3.GetBucketVersioning",
                            lambda http_response, **kw: bodies.append(http_response.text))
    assert s3.get_bucket_versioning(Bucket=f"ver-{aws.account}")["Status"] == "Enabled"
    assert "<VersioningConfiguration" in bodies[0] and "GetBucketVersioningResponse" not in bodies[0], bodies[0]
