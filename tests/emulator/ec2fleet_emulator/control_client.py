"""Small client for the /_ec2fleet control endpoints (stdlib only)."""
import json
import urllib.request


class Control:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def _req(self, method, path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(self.url + "/_ec2fleet" + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def set_profile(self, profile):
        return self._req("POST", "/profile", profile)

    def profile(self):
        return self._req("GET", "/profile")

    def calls(self, **filters):
        qs = "&".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in filters.items() if v is not None)
        return self._req("GET", "/calls" + (f"?{qs}" if qs else ""))

    def clear_calls(self):
        return self._req("DELETE", "/calls")

    def advance(self, seconds):
        return self._req("POST", "/clock/advance", {"seconds": seconds})

    def validate_certificate(self, account, arn, region="us-east-1"):
        return self._req("POST", "/acm/validate", {"account": account, "region": region, "arn": arn})

    def answer_health_checks(self, account, path, code=None, timeout=False, region="us-east-1"):
        body = {"account": account, "region": region, "path": path}
        body.update({"timeout": True} if timeout else {"code": code})
        return self._req("POST", "/elbv2/answers", body)

    def reset(self):
        return self._req("POST", "/reset", {})

    def leaks(self, account, region="us-east-1"):
        return self._req("GET", f"/leaks?account={account}&region={region}")
