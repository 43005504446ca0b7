"""Route 53: hosted-zone IDs shaped like AWS's, and DELETE changes checked against the record.

IDs: AWS's are "Z" and 13 to 20 upper-case letters and digits (Z1D633PJN98FT9, new ones like
Z08527311O8VG5NQ1T1LO); moto's are 22 random ones, most not starting with Z, so code that
recognises a zone ID by its shape passed here and failed on AWS (or the other way round).

DELETE: AWS deletes a record set only if the change gives it exactly as it is (TTL and values, or
the alias target), and answers InvalidChangeBatch otherwise, listing every failed change of the
batch in one bracketed message. moto checks its journal of past changes instead (so an UPSERTed
record could be deleted with its old values), answers InvalidInput with another text, and needs
the name spelled as at creation."""
from moto.moto_api._internal import mock_random as random
from moto.route53 import models as r53_models
from moto.route53.models import route53_backends
from moto.utilities.id_generator import moto_id

from . import pre
from ..awsresp import AwsError


@moto_id
def _zone_id(resource_identifier, existing_ids=None, tags=None):
    # The shape of the IDs AWS hands out now: Z0 and 19 more, 21 in all.
    return "Z0" + "".join(random.choice(r53_models.ROUTE53_ID_CHOICE) for _ in range(19))


r53_models.create_route53_zone_id = _zone_id  # looked up at call time by HostedZoneIdentifier


def _name(name):
    """A record name as AWS writes it back: lower case, final dot, '*' as \\052."""
    name = name.lower()
    return (name if name.endswith(".") else name + ".").replace("*", "\\052")


def _key(rr):
    return _name(rr["Name"]), rr["Type"], rr.get("SetIdentifier")


def _shape(rr):
    """What a DELETE must repeat: TTL and values (in any order), or the alias target."""
    alias = rr.get("AliasTarget")
    if alias:
        return ("alias", alias.get("HostedZoneId"), (alias.get("DNSName") or "").lower().rstrip("."),
                str(alias.get("EvaluateTargetHealth")).lower())
    ttl = rr.get("TTL")
    values = [v["Value"] if isinstance(v, dict) else v for v in rr.get("ResourceRecords") or []]
    return ("records", None if ttl is None else int(ttl), tuple(sorted(values)))


def _current(zone):
    records = ({"Name": r.name, "Type": r.type, "SetIdentifier": r.set_identifier, "TTL": r.ttl,
                "ResourceRecords": r.records, "AliasTarget": r.alias_target} for r in zone.rrsets)
    return {_key(rr): rr for rr in records}


@pre("route53:ChangeResourceRecordSets")
def check_deletes(call):
    zone_id = call.params.get("HostedZoneId") or call.uri_params.get("Id") or ""
    zone = route53_backends[call.account]["aws"].zones.get(zone_id.split("/")[-1])
    if zone is None:
        return None  # moto answers NoSuchHostedZone
    records = _current(zone)
    problems = []
    # The batch applies in order: a record made earlier in it may be deleted later in it.
    for change in (call.params.get("ChangeBatch") or {}).get("Changes") or []:
        rr = change.get("ResourceRecordSet") or {}
        if not rr.get("Name") or not rr.get("Type"):
            continue
        key = _key(rr)
        if change.get("Action") in ("CREATE", "UPSERT"):
            records[key] = rr
        elif change.get("Action") == "DELETE":
            what = f"Tried to delete resource record set [name='{key[0]}', type='{key[1]}']"
            if key not in records:
                problems.append(f"{what} but it was not found")
            elif _shape(records[key]) != _shape(rr):
                problems.append(f"{what} but the values provided do not match the current values")
            else:
                del records[key]
    if problems:
        raise AwsError("InvalidChangeBatch", "[" + ", ".join(problems) + "]")
    return None


# Our check above replaces moto's journal-based one, which refused deletes AWS accepts.
r53_models.ChangeList.has_insert_or_update = lambda self, new_rr_set: True
