"""A release the way the seed ships one: an upload of the source key is a CloudTrail data event,
EventBridge starts the pipeline, the pipeline creates the CodeDeploy deployment, and the
deployment walks the group's instances in batches on the readiness clock; an injected hook
failure fails it and CodeDeploy rolls back to the last successful revision."""
import io
import json
import zipfile

import pytest
from seed_stack import build

STEP, ACTION = 5, 10
EVENTS = 13  # in-place with traffic control: 3 block + 7 bundle + 3 allow events
APPSPEC = (b"version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n"
           b"    - location: scripts/start.sh\n      timeout: 60\n      runas: ec2-user\n")


def bundle(server=b"v1"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("appspec.yml", APPSPEC)
        z.writestr("scripts/start.sh", b"#!/bin/sh\nexec node server.js\n")
        z.writestr("server.js", server)
    return buf.getvalue()


def wire(aws, r, name="fleet", selector_key="app.zip", role=True):
    """What the fleet adds to the seed's stack: the trail's data-event selector, the rule starting
    the pipeline, a one-at-a-time group behind the load balancer with automatic rollback."""
    aws("cloudtrail").put_event_selectors(TrailName=r["trail"], AdvancedEventSelectors=[{
        "Name": "release", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "readOnly", "Equals": ["false"]},
            {"Field": "resources.ARN", "Equals": [f"arn:aws:s3:::{r['artifacts']}/{selector_key}"]}]}])
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "events.amazonaws.com"}}]})
    role_arn = aws("iam").create_role(RoleName=f"{name}-events", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    ev = aws("events")
    ev.put_rule(Name=f"{name}-release", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["PutObject", "CompleteMultipartUpload", "CopyObject"],
                   "requestParameters": {"bucketName": [r["artifacts"]], "key": ["app.zip"]}}}))
    target = {"Id": "pipeline", "Arn": f"arn:aws:codepipeline:us-east-1:{aws.account}:{name}-pipeline"}
    if role:
        target["RoleArn"] = role_arn
    ev.put_targets(Rule=f"{name}-release", Targets=[target])
    aws("codedeploy").update_deployment_group(
        applicationName=f"{name}-app", currentDeploymentGroupName=f"{name}-dg",
        deploymentConfigName="CodeDeployDefault.OneAtATime",
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"targetGroupInfoList": [{"name": f"{name}-tg"}]})


def settle(aws, control):
    """Lets the execution CreatePipeline started (it deploys the seed's app.zip) run to its end."""
    control.advance(ACTION)
    while runs(aws, created=True)[-1]["status"] == "InProgress":
        control.advance(EVENTS * STEP)


@pytest.fixture
def stack(aws, profile, control):
    """The seed's stack wired for releases (two instances), its first execution over."""
    def make(**rules):
        profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP}, **rules})
        r = build(aws, desired=2)
        wire(aws, r)
        settle(aws, control)
        return r
    return make


def runs(aws, created=False):
    """The pipeline's executions, newest first; without the one CreatePipeline started unless `created`."""
    got = aws("codepipeline").list_pipeline_executions(pipelineName="fleet-pipeline")["pipelineExecutionSummaries"]
    return [r for r in got if created or r["trigger"]["triggerType"] != "CreatePipeline"]


def deployment_of(aws, execution_id):
    actions = aws("codepipeline").list_action_executions(
        pipelineName="fleet-pipeline", filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
    deploy = [a for a in actions if a["stageName"] == "Deploy"]
    return deploy[0]["output"]["executionResult"]["externalExecutionId"] if deploy else None


def upload(aws, r, body):
    return aws("s3").put_object(Bucket=r["artifacts"], Key="app.zip", Body=body)["VersionId"]


def test_an_upload_runs_the_pipeline_and_the_deployment_walks_the_instances_one_at_a_time(aws, stack, control):
    r = stack()
    [created] = runs(aws, created=True)  # CreatePipeline ran it once, on the object there then
    current = aws("s3").head_object(Bucket=r["artifacts"], Key="app.zip")["VersionId"]
    assert created["status"] == "Succeeded"
    assert created["sourceRevisions"] == [{"actionName": "Source", "revisionId": current}]
    version = upload(aws, r, bundle())
    [run] = runs(aws)
    assert run["status"] == "InProgress" and run["sourceRevisions"] == []
    assert run["trigger"]["triggerType"] == "CloudWatchEvent"
    assert deployment_of(aws, run["pipelineExecutionId"]) is None  # the Source action is still running
    control.advance(ACTION)
    [run] = runs(aws)
    assert run["sourceRevisions"] == [{"actionName": "Source", "revisionId": version}]
    dep_id = deployment_of(aws, run["pipelineExecutionId"])
    assert dep_id.startswith("d-") and len(dep_id) == 11
    cd = aws("codedeploy")
    info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == "InProgress"
    assert info["revision"]["s3Location"]["bucket"] == r["artifacts"]
    assert info["revision"]["s3Location"]["key"].startswith("fleet-pipeline/app/")
    assert (info["deploymentOverview"]["InProgress"], info["deploymentOverview"]["Pending"]) == (1, 1)
    control.advance(EVENTS * STEP)
    overview = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["deploymentOverview"]
    assert (overview["Succeeded"], overview["InProgress"]) == (1, 1)
    control.advance(EVENTS * STEP)
    info = cd.batch_get_deployments(deploymentIds=[dep_id])["deploymentsInfo"][0]
    assert info["status"] == "Succeeded" and info["deploymentOverview"]["Succeeded"] == 2
    assert runs(aws)[0]["status"] == "Succeeded"
    targets = cd.list_deployment_targets(deploymentId=dep_id)["targetIds"]
    assert len(targets) == 2
    got = cd.batch_get_deployment_targets(deploymentId=dep_id, targetIds=targets)["deploymentTargets"]
    events = got[0]["instanceTarget"]["lifecycleEvents"]
    assert [e["lifecycleEventName"] for e in events][:4] == ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic",
                                                            "ApplicationStop"]
    assert len(events) == EVENTS and {e["status"] for e in events} == {"Succeeded"}


def test_a_failing_hook_fails_the_deployment_and_codedeploy_rolls_back(aws, stack, control):
    # The account's third deployment: CreatePipeline's execution made the first.
    r = stack(hook_failures=[{"event": "ApplicationStart", "deployment": 3, "exit_code": 3,
                              "stderr": "Error: Cannot find module 'express'"}])
    upload(aws, r, bundle(b"v1"))
    control.advance(ACTION + 2 * EVENTS * STEP)
    good = deployment_of(aws, runs(aws)[0]["pipelineExecutionId"])
    upload(aws, r, bundle(b"v2"))
    control.advance(ACTION + 10 * STEP)  # the first instance's ApplicationStart (event 9) is over
    run = runs(aws)[0]
    bad = deployment_of(aws, run["pipelineExecutionId"])
    cd = aws("codedeploy")
    info = cd.get_deployment(deploymentId=bad)["deploymentInfo"]
    assert info["status"] == "Failed" and run["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    [deploy] = [a for a in aws("codepipeline").list_action_executions(
        pipelineName="fleet-pipeline", filter={"pipelineExecutionId": run["pipelineExecutionId"]}
    )["actionExecutionDetails"] if a["stageName"] == "Deploy"]
    assert deploy["status"] == "Failed"
    assert deploy["output"]["executionResult"]["errorDetails"] == {
        "code": "JobFailed", "message": f"Deployment {bad} failed: {info['errorInformation']['message']}"}
    state = aws("codepipeline").get_pipeline_state(name="fleet-pipeline")["stageStates"][1]
    assert state["actionStates"][0]["latestExecution"]["errorDetails"]["code"] == "JobFailed"
    assert info["deploymentOverview"]["Failed"] == 1 and info["deploymentOverview"]["Skipped"] == 1
    [failed] = cd.list_deployment_targets(deploymentId=bad, targetFilters={"TargetStatus": ["Failed"]})["targetIds"]
    target = cd.batch_get_deployment_targets(deploymentId=bad, targetIds=[failed])["deploymentTargets"][0]
    events = {e["lifecycleEventName"]: e for e in target["instanceTarget"]["lifecycleEvents"]}
    diag = events["ApplicationStart"]["diagnostics"]
    assert events["ApplicationStart"]["status"] == "Failed"
    assert diag == {"errorCode": "ScriptFailed", "scriptName": "scripts/start.sh",
                    "message": "Script at specified location: scripts/start.sh run as user ec2-user failed with exit code 3",
                    "logTail": "LifecycleEvent - ApplicationStart\nScript - scripts/start.sh\n"
                               "[stderr]Error: Cannot find module 'express'\n"}
    assert events["ValidateService"]["status"] == "Skipped"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == bad
    assert rollback["revision"] == cd.get_deployment(deploymentId=good)["deploymentInfo"]["revision"]
    control.advance(2 * EVENTS * STEP)
    assert cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]["status"] == "Succeeded"


def test_no_run_unless_a_logging_trail_selects_the_object_and_the_target_can_act(aws, profile):
    profile({})
    r = build(aws, desired=1)
    wire(aws, r, selector_key="other.zip")
    upload(aws, r, bundle())
    assert runs(aws) == []  # the trail logs another key: no event reaches EventBridge
    aws("cloudtrail").put_event_selectors(TrailName=r["trail"], AdvancedEventSelectors=[{
        "Name": "all-objects", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                  {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}])
    aws("cloudtrail").stop_logging(Name=r["trail"])
    upload(aws, r, bundle())
    assert runs(aws) == []  # not logging
    aws("cloudtrail").start_logging(Name=r["trail"])
    upload(aws, r, bundle())
    assert len(runs(aws)) == 1
    aws("events").put_targets(Rule="fleet-release", Targets=[
        {"Id": "pipeline", "Arn": f"arn:aws:codepipeline:us-east-1:{aws.account}:fleet-pipeline"}])
    upload(aws, r, bundle())
    assert len(runs(aws)) == 1  # a CodePipeline target without a role cannot start it


def test_a_manual_start_takes_the_current_version_and_a_group_without_instances_fails(aws, profile):
    profile({})
    r = build(aws, desired=1)
    wire(aws, r)
    aws("autoscaling").update_auto_scaling_group(AutoScalingGroupName=r["asg"], MinSize=0, DesiredCapacity=0)
    exec_id = aws("codepipeline").start_pipeline_execution(name="fleet-pipeline")["pipelineExecutionId"]
    got = aws("codepipeline").get_pipeline_execution(pipelineName="fleet-pipeline", pipelineExecutionId=exec_id)
    current = aws("s3").head_object(Bucket=r["artifacts"], Key="app.zip")["VersionId"]
    assert got["pipelineExecution"]["artifactRevisions"][0]["revisionId"] == current
    assert got["pipelineExecution"]["trigger"]["triggerType"] == "StartPipelineExecution"
    info = aws("codedeploy").get_deployment(deploymentId=deployment_of(aws, exec_id))["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "NO_INSTANCES"
    # Without the source object the Source action fails, its reason in errorDetails.
    s3 = aws("s3")
    for v in s3.list_object_versions(Bucket=r["artifacts"], Prefix="app.zip")["Versions"]:
        s3.delete_object(Bucket=r["artifacts"], Key="app.zip", VersionId=v["VersionId"])
    exec_id = aws("codepipeline").start_pipeline_execution(name="fleet-pipeline")["pipelineExecutionId"]
    actions = aws("codepipeline").list_action_executions(
        pipelineName="fleet-pipeline", filter={"pipelineExecutionId": exec_id})["actionExecutionDetails"]
    assert [(a["stageName"], a["status"]) for a in actions] == [("Source", "Failed")]
    assert actions[0]["output"]["executionResult"] == {
        "errorDetails": {"code": "JobFailed", "message": "The object with key 'app.zip' does not exist."}}


def test_one_execution_deploys_at_a_time_and_a_newer_one_supersedes_a_waiting_one(aws, stack, control):
    r = stack()
    upload(aws, r, bundle(b"v1"))
    control.advance(ACTION + EVENTS * STEP)  # v1 deploys to its first instance
    upload(aws, r, bundle(b"v2"))
    control.advance(ACTION)  # v2's Source action is over: it waits for the Deploy stage
    v1, v2 = runs(aws)[1], runs(aws)[0]
    assert (v1["status"], v2["status"]) == ("InProgress", "InProgress")
    assert deployment_of(aws, v2["pipelineExecutionId"]) is None
    v3_version = upload(aws, r, bundle(b"v3"))
    control.advance(ACTION)
    v3, v2, v1 = runs(aws)
    assert v2["status"] == "Superseded" and v3["status"] == "InProgress"
    control.advance(EVENTS * STEP)  # v1 is done: v3 takes the Deploy stage
    v3, _, v1 = runs(aws)
    assert v1["status"] == "Succeeded"
    dep = aws("codedeploy").get_deployment(deploymentId=deployment_of(aws, v3["pipelineExecutionId"]))
    assert dep["deploymentInfo"]["status"] == "InProgress"
    assert v3["sourceRevisions"][0]["revisionId"] == v3_version
    control.advance(2 * EVENTS * STEP)
    assert runs(aws)[0]["status"] == "Succeeded"


@pytest.mark.parametrize("config, failing, status, overview", [
    ("CodeDeployDefault.HalfAtATime", None, "Succeeded", {"Succeeded": 4}),
    ("CodeDeployDefault.HalfAtATime", [0], "Succeeded", {"Succeeded": 3, "Failed": 1}),
    ("CodeDeployDefault.HalfAtATime", [0, 1], "Failed", {"Failed": 2, "Skipped": 2}),
    ("CodeDeployDefault.AllAtOnce", [0, 1, 2], "Succeeded", {"Succeeded": 1, "Failed": 3}),
    ("CodeDeployDefault.AllAtOnce", "all", "Failed", {"Failed": 4}),
    ("CodeDeployDefault.OneAtATime", [3], "Succeeded", {"Succeeded": 3, "Failed": 1}),
    ("CodeDeployDefault.OneAtATime", [2], "Failed", {"Succeeded": 2, "Failed": 1, "Skipped": 1}),
])
def test_the_deployment_config_sets_the_batch_and_the_failures_a_deployment_survives(
        aws, profile, control, config, failing, status, overview):
    rules = [{"event": "ApplicationStart", "instance": "all"}] if failing == "all" else [
        {"event": "ApplicationStart", "instance": i} for i in failing or []]
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP},
             "hook_failures": rules})
    r = build(aws, desired=4)
    wire(aws, r)
    settle(aws, control)
    cd = aws("codedeploy")
    cd.update_deployment_group(applicationName="fleet-app", currentDeploymentGroupName="fleet-dg",
                               deploymentConfigName=config)
    upload(aws, r, bundle())
    control.advance(ACTION)
    dep_id = deployment_of(aws, runs(aws)[0]["pipelineExecutionId"])
    at_once = {"CodeDeployDefault.HalfAtATime": 2, "CodeDeployDefault.AllAtOnce": 4,
               "CodeDeployDefault.OneAtATime": 1}[config]
    assert cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]["deploymentOverview"]["InProgress"] == at_once
    control.advance(4 * EVENTS * STEP)
    info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
    assert info["status"] == status
    assert {k: v for k, v in info["deploymentOverview"].items() if v} == overview
    assert ("errorInformation" in info) == (status == "Failed")


def test_a_minimum_healthy_count_of_every_instance_fails_the_deployment_at_once(aws, profile, control):
    # HalfAtATime on one instance: half of it, rounded up, is all of it (instances-health).
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP}})
    r = build(aws, desired=1)
    wire(aws, r)
    settle(aws, control)
    cd = aws("codedeploy")
    cd.update_deployment_group(applicationName="fleet-app", currentDeploymentGroupName="fleet-dg",
                               deploymentConfigName="CodeDeployDefault.HalfAtATime")
    upload(aws, r, bundle())
    control.advance(ACTION)
    info = cd.get_deployment(deploymentId=deployment_of(aws, runs(aws)[0]["pipelineExecutionId"]))["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS", info
    assert {k: v for k, v in info["deploymentOverview"].items() if v} == {"Skipped": 1}


def release_stopping_with(aws, r, control, stop_script):
    """Uploads a bundle whose ApplicationStop runs stop_script and lets its deployment run; its info and id."""
    spec = APPSPEC + f"  ApplicationStop:\n    - location: {stop_script}\n".encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("appspec.yml", spec)
        z.writestr("scripts/start.sh", b"#!/bin/sh\n")
        z.writestr(stop_script, b"#!/bin/sh\n")
    upload(aws, r, buf.getvalue())
    control.advance(ACTION + EVENTS * STEP)
    dep_id = deployment_of(aws, runs(aws)[0]["pipelineExecutionId"])
    return aws("codedeploy").get_deployment(deploymentId=dep_id)["deploymentInfo"], dep_id


def application_stop(aws, dep_id):
    """The ApplicationStop event of the deployment's one instance."""
    cd = aws("codedeploy")
    [iid] = cd.list_deployment_targets(deploymentId=dep_id)["targetIds"]
    target = cd.batch_get_deployment_targets(deploymentId=dep_id, targetIds=[iid])["deploymentTargets"][0]
    [stop] = [e for e in target["instanceTarget"]["lifecycleEvents"] if e["lifecycleEventName"] == "ApplicationStop"]
    return stop


def test_application_stop_runs_the_script_of_the_revision_deployed_before(
        aws, profile, control):
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP},
             "hook_failures": [{"event": "ApplicationStop", "exit_code": 2, "stdout": "stopping\nno pid file"}]})
    r = build(aws, desired=1)
    wire(aws, r)
    settle(aws, control)

    first, _ = release_stopping_with(aws, r, control, "scripts/stop-v1.sh")
    # The revision before it (the seed's app.zip, no appspec.yml) has no ApplicationStop script to fail.
    assert first["status"] == "Succeeded"
    second, dep_id = release_stopping_with(aws, r, control, "scripts/stop-v2.sh")
    assert second["status"] == "Failed"
    assert application_stop(aws, dep_id)["diagnostics"] == {
        "errorCode": "ScriptFailed", "scriptName": "scripts/stop-v1.sh",
        "message": "Script at specified location: scripts/stop-v1.sh failed with exit code 2",
        "logTail": "LifecycleEvent - ApplicationStop\nScript - scripts/stop-v1.sh\n[stdout]stopping\n[stdout]no pid file\n"}


def test_a_revision_whose_install_succeeded_is_the_instance_s_previous_one_though_a_later_hook_failed(
        aws, profile, control):
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP}})
    r = build(aws, desired=1)
    wire(aws, r)
    settle(aws, control)
    cd = aws("codedeploy")
    cd.update_deployment_group(applicationName="fleet-app", currentDeploymentGroupName="fleet-dg",
                               autoRollbackConfiguration={"enabled": False})
    n = len(cd.list_deployments()["deployments"])  # the next ones are n + 1, n + 2, ...
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP},
             "hook_failures": [{"event": "ApplicationStart", "deployment": n + 2},
                               {"event": "ApplicationStop", "deployment": n + 3, "exit_code": 3}]})
    assert release_stopping_with(aws, r, control, "scripts/stop-v1.sh")[0]["status"] == "Succeeded"
    assert release_stopping_with(aws, r, control, "scripts/stop-v2.sh")[0]["status"] == "Failed"
    third, dep_id = release_stopping_with(aws, r, control, "scripts/stop-v3.sh")
    # v2 was installed before its ApplicationStart failed, so the agent stops v2, not v1.
    assert third["status"] == "Failed"
    assert application_stop(aws, dep_id)["diagnostics"]["scriptName"] == "scripts/stop-v2.sh"


def test_an_instance_whose_last_deployment_failed_is_deployed_to_first(aws, profile, control):
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP}})
    r = build(aws, desired=3)
    wire(aws, r)
    settle(aws, control)
    cd = aws("codedeploy")
    cd.update_deployment_group(applicationName="fleet-app", currentDeploymentGroupName="fleet-dg",
                               deploymentConfigName="CodeDeployDefault.OneAtATime",
                               autoRollbackConfiguration={"enabled": False})
    n = len(cd.list_deployments()["deployments"])
    # OneAtATime survives a failure on its last instance, which is then unhealthy.
    profile({"readiness": {"codepipeline.action": ACTION, "codedeploy.lifecycle_event": STEP},
             "hook_failures": [{"event": "ApplicationStart", "deployment": n + 1, "instance": 2}]})

    def first_deployed(payload):
        upload(aws, r, bundle(payload))
        control.advance(ACTION)
        dep_id = deployment_of(aws, runs(aws)[0]["pipelineExecutionId"])
        ids = cd.list_deployment_targets(deploymentId=dep_id)["targetIds"]
        targets = cd.batch_get_deployment_targets(deploymentId=dep_id, targetIds=ids)["deploymentTargets"]
        [busy] = [t["instanceTarget"]["targetId"] for t in targets if t["instanceTarget"]["status"] == "InProgress"]
        control.advance(3 * EVENTS * STEP)
        info = cd.get_deployment(deploymentId=dep_id)["deploymentInfo"]
        failed = [t["instanceTarget"]["targetId"] for t in cd.batch_get_deployment_targets(deploymentId=dep_id, targetIds=ids)[
            "deploymentTargets"] if t["instanceTarget"]["status"] == "Failed"]
        return busy, info["status"], failed

    _, status, [unhealthy] = first_deployed(b"v1")
    assert status == "Succeeded"
    busy, status, failed = first_deployed(b"v2")
    assert (busy, status, failed) == (unhealthy, "Succeeded", [])
