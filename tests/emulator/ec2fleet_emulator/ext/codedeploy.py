"""CodeDeploy: DeleteApplication, DeleteDeploymentGroup, UpdateDeploymentGroup,
GetDeploymentConfig (missing in moto) and the autoScalingGroups shape fix
(moto stores names but the model wants [{name, hook}], so it returned [{}])."""
import datetime
import uuid

from moto.codedeploy.models import codedeploy_backends

from . import post, pre
from ..awsresp import AwsError

_CREATED = datetime.datetime(2014, 9, 18, tzinfo=datetime.timezone.utc)
# Built-in configs (values as AWS documents them).
BUILTIN_CONFIGS = {
    # A type callers cannot set (API_MinimumHealthyHosts): one instance at a time, all but one kept healthy.
    "CodeDeployDefault.OneAtATime": {"minimumHealthyHosts": {"type": "MOST_CONCURRENCY", "value": 1}, "computePlatform": "Server"},
    "CodeDeployDefault.HalfAtATime": {"minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 50}, "computePlatform": "Server"},
    "CodeDeployDefault.AllAtOnce": {"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 0}, "computePlatform": "Server"},
    "CodeDeployDefault.LambdaAllAtOnce": {"computePlatform": "Lambda", "trafficRoutingConfig": {"type": "AllAtOnce"}},
    "CodeDeployDefault.ECSAllAtOnce": {"computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}},
}


def backend(call):
    return codedeploy_backends[call.account][call.region]


def _hook(dg_name, asg):
    return f"CodeDeploy-managed-automatic-launch-deployment-hook-{dg_name}-{uuid.uuid5(uuid.NAMESPACE_URL, asg).hex[:8]}"


def _require(params, *names):
    for n in names:
        if not params.get(n):
            code = {"applicationName": "ApplicationNameRequiredException",
                    "deploymentGroupName": "DeploymentGroupNameRequiredException",
                    "currentDeploymentGroupName": "DeploymentGroupNameRequiredException",
                    "deploymentConfigName": "DeploymentConfigNameRequiredException"}[n]
            raise AwsError(code, f"The {n} is required.")


@pre("codedeploy:DeleteApplication")
def delete_application(call):
    p = call.params
    _require(p, "applicationName")
    be = backend(call)
    name = p["applicationName"]
    be.applications.pop(name, None)  # AWS: deleting a missing app is not an error
    be.deployment_groups.pop(name, None)
    return {}


@pre("codedeploy:DeleteDeploymentGroup")
def delete_deployment_group(call):
    p = call.params
    _require(p, "applicationName", "deploymentGroupName")
    be = backend(call)
    be.deployment_groups.get(p["applicationName"], {}).pop(p["deploymentGroupName"], None)
    return {"hooksNotCleanedUp": []}


# request field -> DeploymentGroup attribute
_UPDATABLE = {
    "deploymentConfigName": "deployment_config_name", "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups", "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations", "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy", "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info", "ec2TagSet": "ec2_tag_set", "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set", "terminationHookEnabled": "termination_hook_enabled",
}


@pre("codedeploy:UpdateDeploymentGroup")
def update_deployment_group(call):
    p = call.params
    _require(p, "applicationName", "currentDeploymentGroupName")
    be = backend(call)
    dg = be.get_deployment_group(p["applicationName"], p["currentDeploymentGroupName"])  # raises AWS errors
    groups = be.deployment_groups[p["applicationName"]]
    new_name = p.get("newDeploymentGroupName")
    if new_name and new_name != dg.deployment_group_name:
        if new_name in groups:
            raise AwsError("DeploymentGroupAlreadyExistsException", f"Deployment group {new_name} already exists.")
    if p.get("deploymentConfigName") and p["deploymentConfigName"] not in BUILTIN_CONFIGS:
        raise AwsError("DeploymentConfigDoesNotExistException",
                       f"The deployment config {p['deploymentConfigName']} does not exist.")
    for field, attr in _UPDATABLE.items():
        if field in p:
            setattr(dg, attr, p[field])
    if new_name and new_name != dg.deployment_group_name:
        groups.pop(dg.deployment_group_name)
        dg.deployment_group_name = new_name
        groups[new_name] = dg
    # Hooks of ASGs removed from the group are cleaned up by CodeDeploy: none left behind.
    return {"hooksNotCleanedUp": []}


@pre("codedeploy:GetDeploymentConfig")
def get_deployment_config(call):
    name = call.params.get("deploymentConfigName")
    _require(call.params, "deploymentConfigName")
    cfg = BUILTIN_CONFIGS.get(name)
    if cfg is None:
        raise AwsError("DeploymentConfigDoesNotExistException", f"The deployment config {name} does not exist.")
    info = {"deploymentConfigId": str(uuid.uuid5(uuid.NAMESPACE_URL, name)), "deploymentConfigName": name,
            "createTime": _CREATED}
    info.update(cfg)
    return {"deploymentConfigInfo": info}


@post("codedeploy:GetDeploymentGroup")
def fix_asgs(call, reply):
    if not reply.ok:
        return
    data = reply.json()
    info = data.get("deploymentGroupInfo", {})
    dg = backend(call).deployment_groups.get(info.get("applicationName"), {}).get(info.get("deploymentGroupName"))
    if dg is None:
        return
    info["autoScalingGroups"] = [{"name": a, "hook": _hook(dg.deployment_group_name, a)}
                                 for a in dg.auto_scaling_groups]
    info["alarmConfiguration"] = dg.alarm_configuration if isinstance(dg.alarm_configuration, dict) else info.get("alarmConfiguration", {})
    reply.set_json(data)
