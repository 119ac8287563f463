"""SigV4-signed HTTPS requests to tenet's control plane, built with botocore's signer.

Only botocore's public signing classes are used (SigV4Auth, SigV4QueryAuth over AWSRequest); the
request is sent with http.client over an ssl context that trusts only the server's CA, so tests
can tamper with anything after signing. No tenet code is imported.
"""

from __future__ import annotations

import configparser
import datetime
import http.client
import json
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

DEFAULT_TIMEOUT = 10.0
AWS_CLI = "/usr/bin/aws"


def admin_credentials(srv) -> Credentials:
    """The bootstrap administrator's key pair from DATA_DIR/admin-credentials."""
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    return Credentials(cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"])


def server_region(srv) -> str:
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    return cp["default"]["region"]


def ssl_context(srv) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(srv.ca_path)
    return ctx


def host_port(srv) -> tuple[str, int]:
    u = urlsplit(srv.control_url)
    return u.hostname, u.port


class _FixedTime:
    """Mixin: signs as if the clock read `when` (a naive UTC datetime)."""

    def __init__(self, *args, when: datetime.datetime, **kw):
        super().__init__(*args, **kw)
        self._when = when

    def add_auth(self, request):
        request.context["timestamp"] = self._when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        sts = self.string_to_sign(request, canonical)
        self._inject_signature_to_request(request, self.signature(sts, request))


class FixedTimeSigV4Auth(_FixedTime, SigV4Auth):
    pass


class FixedTimeSigV4QueryAuth(_FixedTime, SigV4QueryAuth):
    pass


@dataclass
class Response:
    status: int
    headers: dict  # lower-cased names
    body: bytes
    request_headers: dict = field(default_factory=dict)

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-errortype")

    def __repr__(self):
        return f"<Response {self.status} {self.error_type} {self.body[:300]!r}>"


def build(srv, method: str, path: str, *, body: bytes | dict | None = None, params: dict | None = None,
          headers: dict | None = None, credentials: Credentials | None = None, region: str | None = None,
          service: str = "iot", when: datetime.datetime | None = None, sign: bool = True) -> AWSRequest:
    """A signed AWSRequest (not sent). `path` may carry a query string."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = AWSRequest(method=method, url=srv.control_url + path, data=body or b"", params=params or {},
                     headers=hdrs)
    if sign:
        creds = credentials or admin_credentials(srv)
        region = region or server_region(srv)
        signer = (FixedTimeSigV4Auth(creds, service, region, when=when) if when is not None
                  else SigV4Auth(creds, service, region))
        signer.add_auth(req)
    return req


def presign(srv, method: str, path: str, *, expires: int = 60, credentials: Credentials | None = None,
            region: str | None = None, service: str = "iot", when: datetime.datetime | None = None) -> str:
    """A presigned URL (SigV4 in the query string)."""
    req = AWSRequest(method=method, url=srv.control_url + path, data=b"")
    creds = credentials or admin_credentials(srv)
    region = region or server_region(srv)
    signer = (FixedTimeSigV4QueryAuth(creds, service, region, expires=expires, when=when) if when is not None
              else SigV4QueryAuth(creds, service, region, expires=expires))
    signer.add_auth(req)
    return req.url


def send_prepared(srv, method: str, url: str, headers: dict, body: bytes = b"",
                  timeout: float = DEFAULT_TIMEOUT) -> Response:
    """Sends exactly these headers/body on a fresh TLS connection (no header added but Host when absent)."""
    host, port = host_port(srv)
    u = urlsplit(url)
    target = u.path + (("?" + u.query) if u.query else "")
    conn = http.client.HTTPSConnection(host, port, context=ssl_context(srv), timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        names = {k.lower() for k in headers}
        if "host" not in names:
            conn.putheader("Host", u.netloc)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body or method in ("POST", "PUT", "PATCH"):
            if "content-length" not in names:
                conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data, dict(headers))
    finally:
        conn.close()


def send(srv, req: AWSRequest, timeout: float = DEFAULT_TIMEOUT) -> Response:
    """Sends a (possibly tampered) AWSRequest as it stands."""
    prepared = req.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return send_prepared(srv, prepared.method, prepared.url, dict(prepared.headers), body, timeout)


def call(srv, method: str, path: str, **kw) -> Response:
    """Builds, signs and sends in one go."""
    timeout = kw.pop("timeout", DEFAULT_TIMEOUT)
    return send(srv, build(srv, method, path, **kw), timeout)


def ok(resp: Response, status: int = 200) -> dict:
    assert resp.status == status, f"want {status}, got {resp!r}"
    return resp.json


def assert_error(resp: Response, status: int, code: str, message_contains: str | None = None) -> dict:
    """An AWS-style error: status, x-amzn-ErrorType header, {"__type", "message"} body, request id."""
    assert resp.status == status, f"want {status} {code}, got {resp!r}"
    assert (resp.error_type or "").split(":")[0] == code, f"x-amzn-ErrorType {resp.error_type!r}, want {code}"
    body = resp.json
    assert isinstance(body, dict), f"error body is not a JSON object: {resp.body!r}"
    assert body.get("__type", "").split("#")[-1] == code, f"__type {body.get('__type')!r}, want {code}"
    assert isinstance(body.get("message"), str) and body["message"], f"no message: {body}"
    if message_contains is not None:
        assert message_contains.lower() in body["message"].lower(), \
            f"message {body['message']!r} lacks {message_contains!r}"
    assert resp.headers.get("x-amzn-requestid"), f"no x-amzn-RequestId: {resp.headers}"
    return body


# -- tenet access keys ---------------------------------------------------------------------------

def create_key(srv, description: str = "test key", duration: int | None = None,
               credentials: Credentials | None = None) -> dict:
    body = {"description": description}
    if duration is not None:
        body["durationSeconds"] = duration
    r = call(srv, "POST", "/tenet/access-keys", body=body, credentials=credentials)
    assert r.status in (200, 201), f"CreateAccessKey: {r!r}"
    return r.json["accessKey"]


def key_credentials(key: dict) -> Credentials:
    return Credentials(key["accessKeyId"], key["secretAccessKey"], key.get("sessionToken"))


def set_key_status(srv, key_id: str, status: str) -> Response:
    return call(srv, "PATCH", f"/tenet/access-keys/{key_id}", body={"status": status})


def delete_key(srv, key_id: str) -> Response:
    return call(srv, "DELETE", f"/tenet/access-keys/{key_id}")


def list_keys(srv, **params) -> list[dict]:
    """Every key, following nextToken."""
    out, token = [], None
    for _ in range(1000):
        p = dict(params)
        if token:
            p["nextToken"] = token
        body = ok(call(srv, "GET", "/tenet/access-keys", params=p))
        out += body["accessKeys"]
        token = body.get("nextToken")
        if not token:
            return out
    raise AssertionError("ListAccessKeys never ended")


def describe_endpoint(srv, endpoint_type: str | None = None, **kw) -> Response:
    params = {"endpointType": endpoint_type} if endpoint_type is not None else {}
    return call(srv, "GET", "/endpoint", params=params, **kw)


# -- AWS CLI and boto3 ---------------------------------------------------------------------------

def aws_cli(srv, *args: str, timeout: float = 30, endpoint: bool = True, env: dict | None = None):
    """Runs /usr/bin/aws with only the server's credentials/config/CA in the environment."""
    argv = [AWS_CLI, *args]
    if endpoint:
        argv += ["--endpoint-url", srv.control_url]
    argv += ["--cli-read-timeout", "10", "--cli-connect-timeout", "10"]
    env = dict(env or srv.aws_env())
    env.setdefault("AWS_MAX_ATTEMPTS", "1")  # an error is an answer, not something to retry
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)


def boto3_iot(srv, credentials: Credentials | None = None, region: str | None = None):
    import boto3
    from botocore.config import Config
    creds = credentials or admin_credentials(srv)
    session = boto3.session.Session(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                                    aws_session_token=creds.token, region_name=region or server_region(srv))
    return session.client("iot", endpoint_url=srv.control_url, verify=srv.ca_path,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                        connect_timeout=10, read_timeout=10))


# -- raw sockets ---------------------------------------------------------------------------------

def raw_tls(srv, timeout: float = DEFAULT_TIMEOUT) -> ssl.SSLSocket:
    host, port = host_port(srv)
    sock = socket.create_connection((host, port), timeout=timeout)
    return ssl_context(srv).wrap_socket(sock, server_hostname=host)
