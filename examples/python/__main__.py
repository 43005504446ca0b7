import pulumi
import pulumi_ec2fleet as ec2fleet

config = pulumi.Config()

web = ec2fleet.Ec2Fleet(
    "web",
    min_capacity=3,
    max_capacity=4,
    app_port=3000,
    instance_type=config.get("instanceType") or "t3.micro",
    # Our own office only; the seed opened port 22 to the world.
    ssh_ingress_cidrs=["203.0.113.0/24"],
    health_check={"path": "/health"},
    # The app (examples/app): zipped, uploaded when it changed and followed through the pipeline and
    # CodeDeploy until every instance runs it; its static files synced into the asset bucket.
    release=pulumi.FileArchive("../app"),
    assets=pulumi.FileArchive("../app/public"),
    # SecureString parameters only the instances' role reads.
    environment={"SESSION_SECRET": config.require_secret("sessionSecret")},
    tags={"project": "ec2fleet-example"},
)

pulumi.export("url", web.url)
pulumi.export("loadBalancerDnsName", web.load_balancer_dns_name)
pulumi.export("sourceBucket", web.source_bucket)
pulumi.export("releaseVersion", web.release_version)
pulumi.export("deploymentId", web.deployment_id)
pulumi.export("deploymentStatus", web.deployment_status)
pulumi.export("assetCount", web.asset_count)
pulumi.export("environmentPath", web.environment_path)
