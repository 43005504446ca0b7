"""S3 object writes as CloudTrail data events on EventBridge, which starts CodePipeline targets.

AWS puts a data event (PutObject, CopyObject, CompleteMultipartUpload) on the default event bus
only when a trail that is logging selects it (advanced selectors: every field selector of one
selector matches; basic selectors: WriteOnly/All with an AWS::S3::Object data resource whose
value prefixes the object's ARN). The event reaches the bus the profile's `cloudtrail.event`
seconds later; then every ENABLED rule of the bus whose pattern matches (moto's matcher) starts
each CodePipeline target that has a RoleArn to act with."""
import datetime
import threading
import uuid

from moto.cloudtrail.models import cloudtrail_backends
from moto.events.models import events_backends
from moto.iam.models import iam_backends

from . import pipeline_runs, post
from ..state import STATE

WRITES = ("PutObject", "CopyObject", "CompleteMultipartUpload")

_lock = threading.Lock()
_due = []  # [(time, account, region, event)]
STATE.on_reset(_due.clear)


def _field_matches(sel, value):
    if "Equals" in sel and value not in sel["Equals"]:
        return False
    if "StartsWith" in sel and not any(value.startswith(p) for p in sel["StartsWith"]):
        return False
    if "EndsWith" in sel and not any(value.endswith(p) for p in sel["EndsWith"]):
        return False
    if any(value == v for v in sel.get("NotEquals", [])):
        return False
    if any(value.startswith(p) for p in sel.get("NotStartsWith", [])):
        return False
    return not any(value.endswith(p) for p in sel.get("NotEndsWith", []))


def _advanced_selects(selector, fields):
    return all(_field_matches(f, fields.get(f["Field"], "")) for f in selector.get("FieldSelectors", []))


def _basic_selects(selector, object_arn):
    if selector.get("ReadWriteType", "All") not in ("All", "WriteOnly"):
        return False
    return any(r.get("Type") == "AWS::S3::Object" and any(object_arn.startswith(v) for v in r.get("Values", []))
               for r in selector.get("DataResources", []))


def _logged(account, region, operation, bucket, key):
    """Whether a logging trail of the account selects this write as a data event."""
    object_arn = f"arn:aws:s3:::{bucket}/{key}"
    fields = {"eventCategory": "Data", "resources.type": "AWS::S3::Object", "readOnly": "false",
              "eventName": operation, "resources.ARN": object_arn, "eventSource": "s3.amazonaws.com"}
    for trail_region, be in cloudtrail_backends[account].items():
        for trail in be.trails.values():
            if not trail.status.is_logging or not (trail.region_name == region or trail.is_multi_region):
                continue
            if any(_advanced_selects(s, fields) for s in trail.advanced_event_selectors):
                return True
            if any(_basic_selects(s, object_arn) for s in trail.event_selectors):
                return True
    return False


def _event(account, region, operation, bucket, key, version):
    now = datetime.datetime.fromtimestamp(STATE.now(), tz=datetime.timezone.utc)
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3", "account": account, "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": operation,
            "awsRegion": region, "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requestParameters": {"bucketName": bucket, "key": key},
            "responseElements": {"x-amz-version-id": version} if version else None,
            "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                          {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
            "eventType": "AwsApiCall", "managementEvent": False, "readOnly": False,
            "recipientAccountId": account, "eventCategory": "Data",
        },
    }


@post(*[f"s3:{op}" for op in WRITES])
def _object_written(call, reply):
    if not reply.ok:
        return
    bucket = call.uri_params.get("Bucket") or call.params.get("Bucket")
    key = call.uri_params.get("Key") or call.params.get("Key")
    if not bucket or not key or not _logged(call.account, call.region, call.operation, bucket, key):
        return
    event = _event(call.account, call.region, call.operation, bucket, key, reply.header("x-amz-version-id"))
    with _lock:
        _due.append((STATE.now() + STATE.profile.ready_after("cloudtrail.event"), call.account, call.region, event))
    deliver_due()


def deliver_due():
    """Puts the events whose delay is over on their region's default bus."""
    now = STATE.now()
    with _lock:
        ready = [d for d in _due if d[0] <= now]
        _due[:] = [d for d in _due if d[0] > now]
    for _, account, region, event in sorted(ready, key=lambda d: d[0]):
        _to_bus(account, region, event)


def _to_bus(account, region, event):
    bus = events_backends[account][region].event_buses.get("default")
    for rule in list(bus.rules.values()) if bus else []:
        if rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):
            continue
        for target in rule.targets:
            arn = target.get("Arn", "").split(":")
            if len(arn) == 6 and arn[2] == "codepipeline" and _can_act(account, target.get("RoleArn")):
                pipeline_runs.start(account, arn[3], arn[5],
                                    {"triggerType": "CloudWatchEvent", "triggerDetail": rule.arn})


def _can_act(account, role_arn):
    """EventBridge starts a pipeline only through the target's role, which must exist."""
    if not role_arn:
        return False
    name = role_arn.split("/")[-1]
    return any(r.name == name for r in iam_backends[account]["aws"].roles.values())
