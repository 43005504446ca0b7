"""Call log: one entry per AWS request served, so tests can assert e.g. that a
preview made no mutating call, and benchmarks can count calls."""
import threading

READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search", "BatchGet", "Select", "Test")

_lock = threading.Lock()
_calls = []


def is_mutating(operation):
    return bool(operation) and not operation.startswith(READ_PREFIXES)


def record(entry):
    with _lock:
        entry["seq"] = len(_calls) + 1
        _calls.append(entry)
    return entry


def entries(service=None, operation=None, account=None, mutating=None, since=0):
    with _lock:
        out = list(_calls[since:])
    if service:
        out = [e for e in out if e["service"] == service]
    if operation:
        out = [e for e in out if e["operation"] == operation]
    if account:
        out = [e for e in out if e["account"] == account]
    if mutating is not None:
        out = [e for e in out if e["mutating"] == mutating]
    return out


def clear():
    with _lock:
        _calls.clear()
