"""Slow readiness from the profile; the clock is advanced instead of sleeping."""
import pytest
from botocore.exceptions import ClientError

AMI = "ami-12c6146b"


@pytest.fixture
def slow(profile):
    profile({"readiness": {"elbv2.load_balancer": 60, "cloudfront.distribution": 300, "route53.change": 30,
                           "elbv2.target": 20, "autoscaling.instance": 15, "iam.instance_profile": 10}})


def network(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subs = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=f"us-east-1{'ab'[i]}")["Subnet"]["SubnetId"]
            for i in range(2)]
    return vpc, subs


def test_instant_by_default(aws):
    _, subs = network(aws)
    lb = aws("elbv2").create_load_balancer(Name="fast", Subnets=subs)["LoadBalancers"][0]["LoadBalancerArn"]
    assert aws("elbv2").describe_load_balancers(LoadBalancerArns=[lb])["LoadBalancers"][0]["State"]["Code"] == "active"


def test_alb_provisioning_then_active(aws, slow, control):
    _, subs = network(aws)
    elb = aws("elbv2")
    created = elb.create_load_balancer(Name="slow", Subnets=subs)["LoadBalancers"][0]
    assert created["State"]["Code"] == "provisioning"
    state = lambda: elb.describe_load_balancers(LoadBalancerArns=[created["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"]  # noqa: E731
    assert state() == "provisioning"  # moto: active at first describe
    control.advance(61)
    assert state() == "active"


def test_cloudfront_in_progress_then_deployed_also_after_update(aws, slow, control):
    cf = aws("cloudfront")
    d = cf.create_distribution(DistributionConfig={
        "CallerReference": "slow", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})
    did = d["Distribution"]["Id"]
    assert d["Distribution"]["Status"] == "InProgress"
    status = lambda: cf.get_distribution(Id=did)["Distribution"]["Status"]  # noqa: E731
    assert status() == "InProgress"
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "InProgress"
    control.advance(301)
    assert status() == "Deployed"
    got = cf.get_distribution_config(Id=did)
    cfg = dict(got["DistributionConfig"], Enabled=False)
    etag = cf.update_distribution(Id=did, IfMatch=got["ETag"], DistributionConfig=cfg)["ETag"]
    assert status() == "InProgress"
    # Disabled but not yet deployed: still not deletable.
    with pytest.raises(ClientError) as e:
        cf.delete_distribution(Id=did, IfMatch=etag)
    assert e.value.response["Error"]["Code"] == "DistributionNotDisabled"
    control.advance(301)
    assert status() == "Deployed"
    cf.delete_distribution(Id=did, IfMatch=etag)


def test_route53_pending_then_insync(aws, slow, control):
    r53 = aws("route53")
    zone = r53.create_hosted_zone(Name="slow.example.com", CallerReference="slow")
    assert zone["ChangeInfo"]["Status"] == "PENDING"
    change = r53.change_resource_record_sets(HostedZoneId=zone["HostedZone"]["Id"], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "a.slow.example.com", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "10.0.0.1"}]}}]})["ChangeInfo"]
    assert change["Status"] == "PENDING"
    assert r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"] == "PENDING"
    control.advance(31)
    assert r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"] == "INSYNC"


def test_targets_initial_then_healthy_and_asg_pending_then_in_service(aws, slow, control):
    ec2, elb, asg = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc, subs = network(aws)
    tg = elb.create_target_group(Name="slow-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName="slow-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="slow", MinSize=0, MaxSize=2, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "slow-lt"}, VPCZoneIdentifier=",".join(subs),
                                  TargetGroupARNs=[tg])
    states = lambda: {i["LifecycleState"] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["slow"])["AutoScalingGroups"][0]["Instances"]}  # noqa: E731
    health = lambda: {d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}  # noqa: E731
    assert states() == {"Pending"}
    assert health() == {"initial"}
    control.advance(16)
    assert states() == {"InService"}
    assert health() == {"initial"}
    control.advance(5)
    assert health() == {"healthy"}


def test_new_instance_profile_unusable_for_a_while(aws, slow, control):
    ec2, iam, asg = aws("ec2"), aws("iam"), aws("autoscaling")
    _, subs = network(aws)
    iam.create_role(RoleName="young-role", AssumeRolePolicyDocument="{}")
    arn = iam.create_instance_profile(InstanceProfileName="young")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="young", RoleName="young-role")

    def refused(call):
        with pytest.raises(ClientError) as e:
            call()
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]
    # AWS's words name the parameter the caller used: the profile's name or its ARN.
    assert refused(lambda: ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subs[0],
                                             IamInstanceProfile={"Name": "young"})) == (
        "InvalidParameterValue",
        "Value (young) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    assert refused(lambda: ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subs[0],
                                             IamInstanceProfile={"Arn": arn})) == (
        "InvalidParameterValue",
        f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
    ec2.create_launch_template(LaunchTemplateName="young-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": "young"}})
    ec2.create_launch_template(LaunchTemplateName="young-arn-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Arn": arn}})
    assert refused(lambda: asg.create_auto_scaling_group(
        AutoScalingGroupName="young", MinSize=1, MaxSize=1, LaunchTemplate={"LaunchTemplateName": "young-lt"},
        VPCZoneIdentifier=subs[0])) == (
        "ValidationError", "You must use a valid fully-formed launch template. Value (young) for parameter "
                           "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    assert refused(lambda: asg.create_auto_scaling_group(
        AutoScalingGroupName="young", MinSize=1, MaxSize=1, LaunchTemplate={"LaunchTemplateName": "young-arn-lt"},
        VPCZoneIdentifier=subs[0])) == (
        "ValidationError", f"You must use a valid fully-formed launch template. Value ({arn}) for parameter "
                           f"iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
    control.advance(11)
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subs[0], IamInstanceProfile={"Name": "young"})
    asg.create_auto_scaling_group(AutoScalingGroupName="young", MinSize=1, MaxSize=1,
                                  LaunchTemplate={"LaunchTemplateName": "young-lt"}, VPCZoneIdentifier=subs[0])


def _unhealthy_fleet(aws, name, grace):
    ec2, elb, asg = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc, subs = network(aws)
    tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                 HealthCheckPath="/healthz", Matcher={"HttpCode": "200-299"})["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=2, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": f"{name}-lt"}, VPCZoneIdentifier=",".join(subs),
                                  TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=grace)
    return tg


def test_health_checks_judge_what_instances_answer_and_asg_replaces_after_the_grace(aws, account, control):
    elb, asg = aws("elbv2"), aws("autoscaling")
    control.answer_health_checks(account, "/healthz", code=404)
    tg = _unhealthy_fleet(aws, "sick", grace=300)
    health = lambda: [d["TargetHealth"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]  # noqa: E731
    instances = lambda: [i["InstanceId"] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["sick"])["AutoScalingGroups"][0]["Instances"]]  # noqa: E731
    assert health() == [{"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                         "Description": "Health checks failed with these codes: [404]"}] * 2
    first = instances()
    control.advance(299)
    assert instances() == first, "the grace period protects them"
    control.advance(2)
    second = instances()
    assert len(second) == 2 and not set(second) & set(first)
    acts = asg.describe_scaling_activities(AutoScalingGroupName="sick")["Activities"]
    terminations = [a for a in acts if a["Description"].startswith("Terminating EC2 instance: ")]
    assert len(terminations) == 2
    assert all(a["StatusCode"] == "Successful" and a["Cause"].endswith(
        "an instance was taken out of service in response to an ELB system health check failure.") for a in terminations)
    assert {d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
            if d["TargetHealth"]["State"] == "unhealthy"} == set(second)
    # The answer is fixed (or the check moved to a path that answers): healthy, nothing replaced.
    control.answer_health_checks(account, "/healthz", code=204)
    assert {h["State"] for h in health()} == {"healthy"}
    control.advance(301)
    assert instances() == second
    control.answer_health_checks(account, "/healthz", timeout=True)
    assert {(h["Reason"], h["Description"]) for h in health()} == {("Target.Timeout", "Request timed out")}


def test_an_ec2_health_checked_group_keeps_instances_its_targets_call_unhealthy(aws, account, control):
    asg = aws("autoscaling")
    control.answer_health_checks(account, "/healthz", code=500)
    _unhealthy_fleet(aws, "ec2checked", grace=0)
    asg.update_auto_scaling_group(AutoScalingGroupName="ec2checked", HealthCheckType="EC2")
    first = [i["InstanceId"] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ec2checked"])["AutoScalingGroups"][0]["Instances"]]
    control.advance(10)
    assert [i["InstanceId"] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ec2checked"])["AutoScalingGroups"][0]["Instances"]] == first


def test_a_malformed_answer_is_refused(control, account):
    with pytest.raises(Exception) as e:
        control.answer_health_checks(account, "healthz", code=404)
    assert e.value.code == 400 and "path starting with /" in e.value.read().decode()
