"""ACM: a requested certificate stays PENDING_VALIDATION until its domain is validated, as on AWS,
where that waits for the DNS (or email) validation the owner completes. moto issues every requested
certificate by itself after 60 s of wall-clock time, so a test could never hold a pending one. Tests
complete the validation with POST /_ec2fleet/acm/validate {"account", "region", "arn"}."""
from moto import settings

settings.ACM_VALIDATION_WAIT = 10 ** 9


def validate(account, region, arn):
    """Marks a requested certificate ISSUED, as ACM does once its validation record is found."""
    from moto.acm.models import acm_backends
    cert = acm_backends[account][region]._certificates.get(arn)
    if cert is None:
        return False
    cert.status = "ISSUED"
    return True
