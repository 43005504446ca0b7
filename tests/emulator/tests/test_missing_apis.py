"""APIs moto 5.2.5 lacks: CloudFront cache policies, CodeDeploy, CodePipeline
GetPipelineState, Auto Scaling traffic sources."""
import json

import pytest
from botocore.exceptions import ClientError

CFG = {"Name": "web", "Comment": "c", "MinTTL": 1, "DefaultTTL": 60, "MaxTTL": 3600,
       "ParametersInCacheKeyAndForwardedToOrigin": {
           "EnableAcceptEncodingGzip": True, "EnableAcceptEncodingBrotli": True,
           "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Host"]}},
           "CookiesConfig": {"CookieBehavior": "none"},
           "QueryStringsConfig": {"QueryStringBehavior": "all"}}}


def code(e):
    return e.value.response["Error"]["Code"]


def test_cache_policy_crud_with_etags(aws):
    cf = aws("cloudfront")
    created = cf.create_cache_policy(CachePolicyConfig=CFG)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    pid, etag = created["CachePolicy"]["Id"], created["ETag"]
    assert created["Location"].endswith(f"/cache-policy/{pid}")
    got = cf.get_cache_policy(Id=pid)
    assert got["ETag"] == etag and got["CachePolicy"]["CachePolicyConfig"] == CFG
    assert cf.get_cache_policy_config(Id=pid)["CachePolicyConfig"] == CFG
    with pytest.raises(ClientError) as e:
        cf.update_cache_policy(Id=pid, IfMatch="stale", CachePolicyConfig=CFG)
    assert code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        cf.update_cache_policy(Id=pid, CachePolicyConfig=CFG) if False else cf.delete_cache_policy(Id=pid, IfMatch="")
    assert code(e) == "InvalidIfMatchVersion"
    updated = cf.update_cache_policy(Id=pid, IfMatch=etag, CachePolicyConfig=dict(CFG, DefaultTTL=120))
    assert updated["ETag"] != etag and updated["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"] == 120
    with pytest.raises(ClientError) as e:
        cf.delete_cache_policy(Id=pid, IfMatch=etag)  # the old ETag is no longer valid
    assert code(e) == "PreconditionFailed"
    cf.delete_cache_policy(Id=pid, IfMatch=updated["ETag"])
    with pytest.raises(ClientError) as e:
        cf.get_cache_policy(Id=pid)
    assert code(e) == "NoSuchCachePolicy"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_cache_policy_validation_and_listing(aws):
    cf = aws("cloudfront")
    bad = json.loads(json.dumps(CFG))
    bad["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]["Quantity"] = 2
    with pytest.raises(ClientError) as e:
        cf.create_cache_policy(CachePolicyConfig=bad)
    assert code(e) == "InconsistentQuantities"
    pid = cf.create_cache_policy(CachePolicyConfig=CFG)["CachePolicy"]["Id"]
    with pytest.raises(ClientError) as e:
        cf.create_cache_policy(CachePolicyConfig=CFG)
    assert code(e) == "CachePolicyAlreadyExists"
    custom = cf.list_cache_policies(Type="custom")["CachePolicyList"]
    assert [i["CachePolicy"]["Id"] for i in custom["Items"]] == [pid] and custom["Quantity"] == 1
    managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    assert "658327ea-f89d-4fab-a63d-7e88639e58f6" in [i["CachePolicy"]["Id"] for i in managed]
    with pytest.raises(ClientError) as e:
        cf.delete_cache_policy(Id="658327ea-f89d-4fab-a63d-7e88639e58f6", IfMatch="x")
    assert code(e) == "AccessDenied"


def _role(aws, service):
    return aws("iam").create_role(RoleName=f"{service}-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]


def test_codedeploy_group_lifecycle(aws):
    cd = aws("codedeploy")
    role = _role(aws, "codedeploy")
    cd.create_application(applicationName="app", computePlatform="Server")
    cd.create_deployment_group(applicationName="app", deploymentGroupName="dg", serviceRoleArn=role,
                               autoScalingGroups=["asg-a"])
    info = cd.get_deployment_group(applicationName="app", deploymentGroupName="dg")["deploymentGroupInfo"]
    assert [g["name"] for g in info["autoScalingGroups"]] == ["asg-a"]  # moto: [{}]
    assert info["autoScalingGroups"][0]["hook"]
    out = cd.update_deployment_group(applicationName="app", currentDeploymentGroupName="dg",
                                     newDeploymentGroupName="dg2", autoScalingGroups=["asg-b"],
                                     deploymentConfigName="CodeDeployDefault.AllAtOnce")
    assert out["hooksNotCleanedUp"] == []
    info = cd.get_deployment_group(applicationName="app", deploymentGroupName="dg2")["deploymentGroupInfo"]
    assert [g["name"] for g in info["autoScalingGroups"]] == ["asg-b"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
    with pytest.raises(ClientError) as e:
        cd.get_deployment_group(applicationName="app", deploymentGroupName="dg")
    assert code(e) == "DeploymentGroupDoesNotExistException"
    with pytest.raises(ClientError) as e:
        cd.update_deployment_group(applicationName="app", currentDeploymentGroupName="missing")
    assert code(e) == "DeploymentGroupDoesNotExistException"
    assert cd.delete_deployment_group(applicationName="app", deploymentGroupName="dg2")["hooksNotCleanedUp"] == []
    assert cd.list_deployment_groups(applicationName="app")["deploymentGroups"] == []
    cd.delete_application(applicationName="app")
    assert cd.list_applications()["applications"] == []
    with pytest.raises(ClientError) as e:
        cd.get_application(applicationName="app")
    assert code(e) == "ApplicationDoesNotExistException"


def test_codedeploy_get_deployment_config(aws):
    cd = aws("codedeploy")
    info = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.OneAtATime")["deploymentConfigInfo"]
    assert info["minimumHealthyHosts"] == {"type": "MOST_CONCURRENCY", "value": 1}  # API_MinimumHealthyHosts
    assert info["computePlatform"] == "Server"
    with pytest.raises(ClientError) as e:
        cd.get_deployment_config(deploymentConfigName="Nope")
    assert code(e) == "DeploymentConfigDoesNotExistException"


def test_codepipeline_get_pipeline_state(aws):
    cp = aws("codepipeline")
    role = _role(aws, "codepipeline")
    cp.create_pipeline(pipeline={"name": "p", "roleArn": role, "artifactStore": {"type": "S3", "location": "bkt"},
                                 "stages": [
        {"name": "Source", "actions": [{"name": "S", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                                        "configuration": {"S3Bucket": "bkt", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "o"}]}]},
        {"name": "Deploy", "actions": [{"name": "D", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy", "version": "1"},
                                        "configuration": {"ApplicationName": "a", "DeploymentGroupName": "g"}, "inputArtifacts": [{"name": "o"}]}]}]})
    state = cp.get_pipeline_state(name="p")
    assert state["pipelineName"] == "p" and state["pipelineVersion"] == 1
    assert [s["stageName"] for s in state["stageStates"]] == ["Source", "Deploy"]
    assert state["stageStates"][1]["actionStates"][0]["actionName"] == "D"
    exec_id = cp.start_pipeline_execution(name="p")["pipelineExecutionId"]
    assert cp.get_pipeline_state(name="p")["stageStates"][0]["latestExecution"]["pipelineExecutionId"] == exec_id
    with pytest.raises(ClientError) as e:
        cp.get_pipeline_state(name="nope")
    assert code(e) == "PipelineNotFoundException"


def test_asg_traffic_sources(aws):
    ec2, elb, asg = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    tg = elb.create_target_group(Name="ts-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName="ts-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="ts", MinSize=1, MaxSize=2, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "ts-lt"}, VPCZoneIdentifier=sub)
    assert asg.describe_traffic_sources(AutoScalingGroupName="ts")["TrafficSources"] == []
    asg.attach_traffic_sources(AutoScalingGroupName="ts", TrafficSources=[{"Identifier": tg, "Type": "elbv2"}])
    src = asg.describe_traffic_sources(AutoScalingGroupName="ts")["TrafficSources"]
    assert [(s["Identifier"], s["Type"], s["State"]) for s in src] == [(tg, "elbv2", "InService")]
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ts"])["AutoScalingGroups"][0]["TargetGroupARNs"] == [tg]
    assert len(elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]) == 1
    asg.detach_traffic_sources(AutoScalingGroupName="ts", TrafficSources=[{"Identifier": tg, "Type": "elbv2"}])
    assert asg.describe_traffic_sources(AutoScalingGroupName="ts")["TrafficSources"] == []
    with pytest.raises(ClientError) as e:
        asg.describe_traffic_sources(AutoScalingGroupName="missing")
    assert code(e) == "ValidationError"
