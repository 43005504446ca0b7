"""boto3 clients for the emulator, pinned to one account via x-moto-account-id
(boto3 needs an event hook to send that header)."""
import boto3
from botocore.config import Config

# No retries: tests see each injected fault exactly once.
_CFG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=60)


def add_account_header(client, account):
    if account:
        def _hook(request, **_):
            request.headers["x-moto-account-id"] = account
        client.meta.events.register("before-sign.*.*", _hook)
    return client


def client(service, endpoint, account=None, region="us-east-1", config=None):
    c = boto3.client(service, endpoint_url=endpoint, region_name=region,
                     aws_access_key_id="testing", aws_secret_access_key="testing",
                     config=config or _CFG)
    return add_account_header(c, account)
