"""ec2fleet AWS test bed: moto in-process, wrapped by middleware that adds missing
APIs, corrects wrong behaviours, refuses lax deletes, simulates readiness, injects
latency/faults from a profile and logs every call."""

DEFAULT_ACCOUNT = "123456789012"
CONTROL_PREFIX = "/_ec2fleet"
