"""Wire compatibility: our proto/ definitions against the descriptors compiled into Pulumi's official
Python SDK. Every message, field (name, number, type, label, oneof, proto3 optional), enum value and
service method must match, in both directions, or the real engine could misread us."""

import pathlib
import shutil
import subprocess

import pytest
from google.protobuf import descriptor_pb2
from pulumi.runtime.proto import alias_pb2, engine_pb2, plugin_pb2, provider_pb2

ROOT = pathlib.Path(__file__).resolve().parents[2]
OFFICIAL = {m.DESCRIPTOR.name: m for m in (provider_pb2, plugin_pb2, alias_pb2, engine_pb2)}


def official(name):
    fd = descriptor_pb2.FileDescriptorProto()
    OFFICIAL[name].DESCRIPTOR.CopyToProto(fd)
    return fd


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    protoc = shutil.which("protoc")
    assert protoc, "protoc is missing: install Debian's protobuf-compiler (scripts/setup.sh does)"
    out = tmp_path_factory.mktemp("desc") / "ours.pb"
    files = [f"pulumi/{n}.proto" for n in ("provider", "plugin", "alias", "engine")]
    subprocess.run([protoc, f"-I{ROOT / 'proto'}", "--include_imports", f"--descriptor_set_out={out}", *files], check=True)
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return {f.name: f for f in fds.file}


def field_facts(msg, f):
    oneof = msg.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") and not f.proto3_optional else None
    return (f.number, f.type, f.type_name, f.label, oneof, f.proto3_optional)


def message_diffs(path, a, b):
    """Differences between message `a` (ours) and `b` (official), recursively."""
    out = []
    fa = {f.name: field_facts(a, f) for f in a.field}
    fb = {f.name: field_facts(b, f) for f in b.field}
    for name in sorted(set(fa) | set(fb)):
        if fa.get(name) != fb.get(name):
            out.append(f"{path}.{name}: ours {fa.get(name)} official {fb.get(name)}")
    out += enum_list_diffs(path, a.enum_type, b.enum_type)
    def nested(name, x, y):
        entry = [f"{path}.{name}: map entry mismatch"] if x.options.map_entry != y.options.map_entry else []
        return entry + message_diffs(f"{path}.{name}", x, y)

    out += paired_diffs(f"{path}.", "nested message", a.nested_type, b.nested_type, nested)
    ra = sorted((r.start, r.end) for r in a.reserved_range)
    rb = sorted((r.start, r.end) for r in b.reserved_range)
    if ra != rb:
        out.append(f"{path}: reserved ranges ours {ra} official {rb}")
    return out


def paired_diffs(prefix, kind, xs, ys, compare):
    """Pairs two lists of named descriptors by name: one missing on a side is a difference, and pairs
    present on both sides are compared with `compare(name, ours, official)`."""
    out = []
    mx = {x.name: x for x in xs}
    my = {y.name: y for y in ys}
    for name in sorted(set(mx) | set(my)):
        if name not in mx or name not in my:
            out.append(f"{prefix}{name}: {kind} only in {'ours' if name in mx else 'official'}")
        else:
            out += compare(name, mx[name], my[name])
    return out


def enum_list_diffs(path, ea, eb):
    out = []
    da = {e.name: [(v.name, v.number) for v in e.value] for e in ea}
    db = {e.name: [(v.name, v.number) for v in e.value] for e in eb}
    for name in sorted(set(da) | set(db)):
        if da.get(name) != db.get(name):
            out.append(f"{path}.{name} (enum): ours {da.get(name)} official {db.get(name)}")
    return out


def file_diffs(a, b):
    out = []
    if a.package != b.package:
        out.append(f"{a.name}: package {a.package} vs {b.package}")
    out += paired_diffs("", "message", a.message_type, b.message_type, message_diffs)
    out += enum_list_diffs(a.name, a.enum_type, b.enum_type)
    sa = {s.name: {m.name: (m.input_type, m.output_type, m.client_streaming, m.server_streaming) for m in s.method} for s in a.service}
    sb = {s.name: {m.name: (m.input_type, m.output_type, m.client_streaming, m.server_streaming) for m in s.method} for s in b.service}
    for svc in sorted(set(sa) | set(sb)):
        for m in sorted(set(sa.get(svc, {})) | set(sb.get(svc, {}))):
            if sa.get(svc, {}).get(m) != sb.get(svc, {}).get(m):
                out.append(f"service {svc}.{m}: ours {sa.get(svc, {}).get(m)} official {sb.get(svc, {}).get(m)}")
    return out


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_our_protocol_matches_the_official_descriptors(ours, name):
    assert name in ours, f"we have no {name}"
    diffs = file_diffs(ours[name], official(name))
    assert diffs == [], "\n".join(diffs)


def test_every_rpc_the_engine_may_call_is_defined(ours):
    methods = {m.name for s in ours["pulumi/provider.proto"].service if s.name == "ResourceProvider" for m in s.method}
    wanted = {"Handshake", "Parameterize", "GetSchema", "CheckConfig", "DiffConfig", "Configure", "Invoke", "Call", "Check",
              "Diff", "Create", "Read", "List", "Update", "Delete", "Construct", "Cancel", "GetPluginInfo", "Attach",
              "GetMapping", "GetMappings"}
    assert wanted <= methods, wanted - methods
    assert any(m.name == "ErrorResourceInitFailed" for m in ours["pulumi/provider.proto"].message_type)


@pytest.mark.parametrize("mutate, expect", [
    (lambda fd: setattr(fd.message_type[0].field[0], "number", 99), "ours (99,"),
    (lambda fd: setattr(fd.message_type[0].field[0], "name", "renamed"), "renamed"),
    (lambda fd: setattr(fd.message_type[0].field[0], "type", descriptor_pb2.FieldDescriptorProto.TYPE_BYTES), "ours"),
    (lambda fd: fd.message_type.pop(), "message only in official"),
    (lambda fd: setattr(fd.service[0].method[0], "server_streaming", True), "service"),
])
def test_the_comparison_catches_each_kind_of_mismatch(mutate, expect):
    theirs = official("pulumi/provider.proto")
    changed = official("pulumi/provider.proto")
    mutate(changed)
    diffs = file_diffs(changed, theirs)
    assert diffs and any(expect in d for d in diffs), diffs
