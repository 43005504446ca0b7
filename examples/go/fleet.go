package main

import (
	"github.com/ec2fleet/pulumi-ec2fleet/sdk/go/ec2fleet"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// fleet is the program: the same fleet as examples/fleet (YAML), examples/typescript and examples/python.
func fleet(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	instanceType := cfg.Get("instanceType")
	if instanceType == "" {
		instanceType = "t3.micro"
	}
	web, err := ec2fleet.NewEc2Fleet(ctx, "web", &ec2fleet.Ec2FleetArgs{
		MinCapacity:  pulumi.Int(3),
		MaxCapacity:  pulumi.Int(4),
		AppPort:      pulumi.Int(3000),
		InstanceType: pulumi.String(instanceType),
		// Our own office only; the seed opened port 22 to the world.
		SshIngressCidrs: pulumi.StringArray{pulumi.String("203.0.113.0/24")},
		HealthCheck:     &ec2fleet.HealthCheckArgs{Path: pulumi.String("/health")},
		// The app (examples/app): zipped, uploaded when it changed and followed through the pipeline
		// and CodeDeploy until every instance runs it; its static files synced into the asset bucket.
		Release: pulumi.NewFileArchive("../app"),
		Assets:  pulumi.NewFileArchive("../app/public"),
		// SecureString parameters only the instances' role reads.
		Environment: pulumi.StringMap{"SESSION_SECRET": cfg.RequireSecret("sessionSecret")},
		Tags:        pulumi.StringMap{"project": pulumi.String("ec2fleet-example")},
	})
	if err != nil {
		return err
	}
	ctx.Export("url", web.Url)
	ctx.Export("loadBalancerDnsName", web.LoadBalancerDnsName)
	ctx.Export("sourceBucket", web.SourceBucket)
	ctx.Export("releaseVersion", web.ReleaseVersion)
	ctx.Export("deploymentId", web.DeploymentId)
	ctx.Export("deploymentStatus", web.DeploymentStatus)
	ctx.Export("assetCount", web.AssetCount)
	ctx.Export("environmentPath", web.EnvironmentPath)
	return nil
}
