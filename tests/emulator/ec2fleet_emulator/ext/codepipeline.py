"""CodePipeline GetPipelineState (missing in moto), built from the stored
pipeline definition and its latest execution."""
from moto.codepipeline.models import codepipeline_backends

from . import pre
from ..awsresp import AwsError


@pre("codepipeline:GetPipelineState")
def get_pipeline_state(call):
    name = call.params.get("name")
    be = codepipeline_backends[call.account][call.region]
    cp = be.pipelines.get(name)
    if cp is None:
        raise AwsError("PipelineNotFoundException",
                       f"Account '{call.account}' does not have a pipeline with name '{name}'")
    latest = list(cp.executions.values())[-1] if cp.executions else None
    stages = []
    for stage in cp.pipeline["stages"]:
        st = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True},
              "actionStates": [{"actionName": a["name"]} for a in stage.get("actions", [])]}
        if latest is not None:
            st["latestExecution"] = {"pipelineExecutionId": latest.pipeline_execution_id, "status": latest.status}
            for a in st["actionStates"]:
                a["latestExecution"] = {"status": latest.status, "lastStatusChange": latest.last_update_time}
        stages.append(st)
    return {"pipelineName": name, "pipelineVersion": cp.pipeline["version"], "stageStates": stages,
            "created": cp._created, "updated": cp._updated}
