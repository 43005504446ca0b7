import * as pulumi from "@pulumi/pulumi";
import * as ec2fleet from "@ec2fleet/ec2fleet";

const config = new pulumi.Config();

const web = new ec2fleet.Ec2Fleet("web", {
    minCapacity: 3,
    maxCapacity: 4,
    appPort: 3000,
    instanceType: config.get("instanceType") ?? "t3.micro",
    // Our own office only; the seed opened port 22 to the world.
    sshIngressCidrs: ["203.0.113.0/24"],
    healthCheck: { path: "/health" },
    // The app (examples/app): zipped, uploaded when it changed and followed through the pipeline and
    // CodeDeploy until every instance runs it; its static files synced into the asset bucket.
    release: new pulumi.asset.FileArchive("../app"),
    assets: new pulumi.asset.FileArchive("../app/public"),
    // SecureString parameters only the instances' role reads.
    environment: { SESSION_SECRET: config.requireSecret("sessionSecret") },
    tags: { project: "ec2fleet-example" },
});

export const url = web.url;
export const loadBalancerDnsName = web.loadBalancerDnsName;
export const sourceBucket = web.sourceBucket;
export const releaseVersion = web.releaseVersion;
export const deploymentId = web.deploymentId;
export const deploymentStatus = web.deploymentStatus;
export const assetCount = web.assetCount;
export const environmentPath = web.environmentPath;
