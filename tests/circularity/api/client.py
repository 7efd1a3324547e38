"""A JSON API client for tests: the bearer token on every request, a fresh Idempotency-Key on
every write unless the test names one."""

import uuid


class ApiClient:
    def __init__(self, client, secret: str) -> None:
        self.client, self.secret = client, secret

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, body: dict | None = None, key: str | None = None, **kwargs):
        headers = {"Idempotency-Key": key or uuid.uuid4().hex, **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.post(path, headers=self.headers(headers), **kwargs)
