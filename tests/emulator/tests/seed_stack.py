"""The seed's fleet stack built with boto3 (what the ec2fleet provider creates),
and its teardown in the order AWS requires."""
import json
import time

AMI = "ami-12c6146b"
ASSUME = {
    svc: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": f"{svc}.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for svc in ("ec2", "codedeploy", "codepipeline")
}


def wait_for(fn, timeout=30, interval=0.05):
    end = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > end:
            raise TimeoutError("condition not met")
        time.sleep(interval)


def build(aws, name="fleet", desired=3):
    ec2, iam, s3 = aws("ec2"), aws("iam"), aws("s3")
    elb, asg, cd, cp = aws("elbv2"), aws("autoscaling"), aws("codedeploy"), aws("codepipeline")
    r = {}
    # Network
    r["vpc"] = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    r["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=r["igw"], VpcId=r["vpc"])
    r["subnets"] = []
    for i, az in enumerate("abc"):
        sid = ec2.create_subnet(VpcId=r["vpc"], CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
        r["subnets"].append(sid)
    r["rtb"] = ec2.create_route_table(VpcId=r["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=r["rtb"], DestinationCidrBlock="0.0.0.0/0", GatewayId=r["igw"])
    r["rtb_assoc"] = [ec2.associate_route_table(RouteTableId=r["rtb"], SubnetId=s)["AssociationId"] for s in r["subnets"]]
    # Security groups: the instances accept traffic from the ALB's group only.
    r["alb_sg"] = ec2.create_security_group(GroupName=f"{name}-alb", Description="alb", VpcId=r["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=r["alb_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    r["inst_sg"] = ec2.create_security_group(GroupName=f"{name}-inst", Description="inst", VpcId=r["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=r["inst_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": r["alb_sg"]}]}])
    # IAM
    iam.create_role(RoleName=f"{name}-instance", AssumeRolePolicyDocument=ASSUME["ec2"])
    r["policy"] = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{name}-instance", PolicyArn=r["policy"])
    iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=f"{name}-instance")
    r["deploy_role"] = iam.create_role(RoleName=f"{name}-deploy", AssumeRolePolicyDocument=ASSUME["codedeploy"])["Role"]["Arn"]
    r["pipeline_role"] = iam.create_role(RoleName=f"{name}-pipeline", AssumeRolePolicyDocument=ASSUME["codepipeline"])["Role"]["Arn"]
    # Launch template
    r["lt"] = ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": f"{name}-profile"},
        "SecurityGroupIds": [r["inst_sg"]]})["LaunchTemplate"]["LaunchTemplateId"]
    # S3: versioned artifact bucket, trail bucket with a TLS-only policy
    r["artifacts"], r["trail_bucket"] = f"{name}-artifacts-{aws.account}", f"{name}-trail-{aws.account}"
    s3.create_bucket(Bucket=r["artifacts"])
    s3.put_bucket_versioning(Bucket=r["artifacts"], VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=r["artifacts"], Key="app.zip", Body=b"v1")
    s3.put_object(Bucket=r["artifacts"], Key="app.zip", Body=b"v2")
    s3.create_bucket(Bucket=r["trail_bucket"])
    s3.put_bucket_policy(Bucket=r["trail_bucket"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "TrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{r['trail_bucket']}/*"},
        {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{r['trail_bucket']}", f"arn:aws:s3:::{r['trail_bucket']}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_object(Bucket=r["trail_bucket"], Key="AWSLogs/probe", Body=b"x")  # allowed: TLS
    r["trail"] = aws("cloudtrail").create_trail(Name=f"{name}-trail", S3BucketName=r["trail_bucket"])["TrailARN"]
    aws("cloudtrail").start_logging(Name=r["trail"])
    # Load balancing + ASG
    r["tg"] = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=r["vpc"],
                                      TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=r["subnets"], SecurityGroups=[r["alb_sg"]],
                                  Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    r["alb"], r["alb_dns"] = lb["LoadBalancerArn"], lb["DNSName"]
    r["listener"] = elb.create_listener(LoadBalancerArn=r["alb"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": r["tg"]}])["Listeners"][0]["ListenerArn"]
    r["asg"] = f"{name}-asg"
    asg.create_auto_scaling_group(AutoScalingGroupName=r["asg"], MinSize=1, MaxSize=6, DesiredCapacity=desired,
                                  LaunchTemplate={"LaunchTemplateId": r["lt"], "Version": "$Latest"},
                                  VPCZoneIdentifier=",".join(r["subnets"]), TargetGroupARNs=[r["tg"]])
    # CodeDeploy + CodePipeline
    cd.create_application(applicationName=f"{name}-app", computePlatform="Server")
    cd.create_deployment_group(applicationName=f"{name}-app", deploymentGroupName=f"{name}-dg",
                               serviceRoleArn=r["deploy_role"], autoScalingGroups=[r["asg"]])
    cp.create_pipeline(pipeline={
        "name": f"{name}-pipeline", "roleArn": r["pipeline_role"],
        "artifactStore": {"type": "S3", "location": r["artifacts"]},
        "stages": [
            {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                                            "configuration": {"S3Bucket": r["artifacts"], "S3ObjectKey": "app.zip"},
                                            "outputArtifacts": [{"name": "app"}]}]},
            {"name": "Deploy", "actions": [{"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy", "version": "1"},
                                            "configuration": {"ApplicationName": f"{name}-app", "DeploymentGroupName": f"{name}-dg"},
                                            "inputArtifacts": [{"name": "app"}]}]}]})
    # Logs + EventBridge
    r["log_group"] = f"/ec2fleet/{name}"
    aws("logs").create_log_group(logGroupName=r["log_group"])
    aws("logs").put_retention_policy(logGroupName=r["log_group"], retentionInDays=7)
    aws("events").put_rule(Name=f"{name}-asg-events", EventPattern=json.dumps({"source": ["aws.autoscaling"]}))
    aws("events").put_targets(Rule=f"{name}-asg-events", Targets=[
        {"Id": "logs", "Arn": f"arn:aws:logs:us-east-1:{aws.account}:log-group:{r['log_group']}"}])
    # CloudFront
    cf = aws("cloudfront")
    r["cache_policy"] = cf.create_cache_policy(CachePolicyConfig={
        "Name": f"{name}-cache", "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 300,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True, "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}})["CachePolicy"]["Id"]
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": f"{name}-{aws.account}", "Comment": name, "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "alb", "DomainName": r["alb_dns"], "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": r["cache_policy"]}})["Distribution"]
    r["dist"], r["dist_domain"] = dist["Id"], dist["DomainName"]
    # Route53 alias to the distribution
    r53 = aws("route53")
    r["zone"] = r53.create_hosted_zone(Name="fleet.example.com", CallerReference=f"{name}-{aws.account}")["HostedZone"]["Id"]
    r["record"] = {"Name": "www.fleet.example.com.", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": r["dist_domain"], "EvaluateTargetHealth": False}}
    r53.change_resource_record_sets(HostedZoneId=r["zone"], ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": r["record"]}]})
    return r


def teardown(aws, r, name="fleet"):
    """Reverse dependency order, waiting where AWS makes you wait."""
    ec2, iam, s3, elb, cf = aws("ec2"), aws("iam"), aws("s3"), aws("elbv2"), aws("cloudfront")
    r53 = aws("route53")
    r53.change_resource_record_sets(HostedZoneId=r["zone"], ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": r["record"]}]})
    r53.delete_hosted_zone(Id=r["zone"])
    # CloudFront: disable, wait until Deployed, delete with the latest ETag.
    got = cf.get_distribution_config(Id=r["dist"])
    cfg = got["DistributionConfig"]
    cfg["Enabled"] = False
    etag = cf.update_distribution(Id=r["dist"], IfMatch=got["ETag"], DistributionConfig=cfg)["ETag"]
    wait_for(lambda: cf.get_distribution(Id=r["dist"])["Distribution"]["Status"] == "Deployed")
    cf.delete_distribution(Id=r["dist"], IfMatch=etag)
    cf.delete_cache_policy(Id=r["cache_policy"], IfMatch=cf.get_cache_policy(Id=r["cache_policy"])["ETag"])
    ev = aws("events")
    ev.remove_targets(Rule=f"{name}-asg-events", Ids=["logs"])
    ev.delete_rule(Name=f"{name}-asg-events")
    aws("logs").delete_log_group(logGroupName=r["log_group"])
    aws("codepipeline").delete_pipeline(name=f"{name}-pipeline")
    aws("codedeploy").delete_deployment_group(applicationName=f"{name}-app", deploymentGroupName=f"{name}-dg")
    aws("codedeploy").delete_application(applicationName=f"{name}-app")
    aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=r["asg"], ForceDelete=True)
    wait_for(lambda: not aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[r["asg"]])["AutoScalingGroups"])
    elb.delete_listener(ListenerArn=r["listener"])
    elb.delete_load_balancer(LoadBalancerArn=r["alb"])
    elb.delete_target_group(TargetGroupArn=r["tg"])
    aws("cloudtrail").stop_logging(Name=r["trail"])
    aws("cloudtrail").delete_trail(Name=r["trail"])
    for bucket in (r["artifacts"], r["trail_bucket"]):
        versions = s3.list_object_versions(Bucket=bucket)
        for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
        s3.delete_bucket(Bucket=bucket)
    ec2.delete_launch_template(LaunchTemplateId=r["lt"])
    iam.remove_role_from_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=f"{name}-instance")
    iam.delete_instance_profile(InstanceProfileName=f"{name}-profile")
    iam.detach_role_policy(RoleName=f"{name}-instance", PolicyArn=r["policy"])
    iam.delete_policy(PolicyArn=r["policy"])
    for role in ("instance", "deploy", "pipeline"):
        iam.delete_role(RoleName=f"{name}-{role}")
    for assoc in r["rtb_assoc"]:
        ec2.disassociate_route_table(AssociationId=assoc)
    ec2.delete_route_table(RouteTableId=r["rtb"])
    ec2.detach_internet_gateway(InternetGatewayId=r["igw"], VpcId=r["vpc"])
    ec2.delete_internet_gateway(InternetGatewayId=r["igw"])
    ec2.delete_security_group(GroupId=r["inst_sg"])
    ec2.delete_security_group(GroupId=r["alb_sg"])
    for sid in r["subnets"]:
        ec2.delete_subnet(SubnetId=sid)
    ec2.delete_vpc(VpcId=r["vpc"])
