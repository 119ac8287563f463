"""SigV4 verification over raw HTTPS: requests signed by botocore, then tampered with."""

from __future__ import annotations

import datetime
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from support import aws as A
from support.timing import wait_until

SKEW = 300  # default clock_skew_seconds


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _no_secret_in(resp: A.Response, *secrets: str):
    for s in secrets:
        assert s.encode() not in resp.body, f"secret leaked in response body: {resp!r}"
        assert all(s not in v for v in resp.headers.values()), f"secret leaked in headers: {resp.headers}"


def test_baseline_signed_request_works(tenet):
    r = A.describe_endpoint(tenet)
    assert A.ok(r) == {"endpointAddress": f"127.0.0.1:{tenet.port}"}
    assert r.headers.get("x-amzn-requestid")


@pytest.mark.parametrize("service", ["iot", "execute-api"])
def test_accepted_service_scopes(tenet, service):
    A.ok(A.describe_endpoint(tenet, service=service))


def test_other_service_scope(tenet):
    A.assert_error(A.describe_endpoint(tenet, service="s3"), 403, "InvalidSignatureException", "s3")


def test_other_region_scope(tenet):
    A.assert_error(A.describe_endpoint(tenet, region="eu-west-3"), 403, "InvalidSignatureException", "eu-west-3")


def test_unsigned_request(tenet):
    r = A.send_prepared(tenet, "GET", tenet.control_url + "/endpoint", {})
    A.assert_error(r, 403, "IncompleteSignatureException")


@pytest.mark.parametrize("auth", ["AWS4-HMAC-SHA256 garbage", "Bearer abc", "AWS4-HMAC-SHA256",
                                  "AWS4-HMAC-SHA256 Credential=x/y, SignedHeaders=host, Signature=00",
                                  "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcd"])
def test_malformed_authorization(tenet, auth):
    r = A.send_prepared(tenet, "GET", tenet.control_url + "/endpoint",
                        {"Authorization": auth, "X-Amz-Date": _now().strftime("%Y%m%dT%H%M%SZ")})
    A.assert_error(r, 403, "IncompleteSignatureException")


def test_wrong_secret(tenet):
    admin = A.admin_credentials(tenet)
    r = A.describe_endpoint(tenet, credentials=Credentials(admin.access_key, "A" * 40))
    A.assert_error(r, 403, "InvalidSignatureException")
    _no_secret_in(r, admin.secret_key)


def test_unknown_key(tenet):
    admin = A.admin_credentials(tenet)
    r = A.describe_endpoint(tenet, credentials=Credentials("TNTAAAAAAAAAAAAAAAAA", admin.secret_key))
    A.assert_error(r, 403, "UnrecognizedClientException")


def test_deactivated_and_deleted_key(tenet):
    key = A.create_key(tenet, "sigv4 deactivate")
    creds = A.key_credentials(key)
    A.ok(A.describe_endpoint(tenet, credentials=creds))
    A.ok(A.set_key_status(tenet, key["accessKeyId"], "Inactive"))
    r = A.describe_endpoint(tenet, credentials=creds)
    A.assert_error(r, 403, "UnrecognizedClientException")
    _no_secret_in(r, creds.secret_key)
    A.ok(A.set_key_status(tenet, key["accessKeyId"], "Active"))
    A.ok(A.describe_endpoint(tenet, credentials=creds))
    A.ok(A.delete_key(tenet, key["accessKeyId"]))
    A.assert_error(A.describe_endpoint(tenet, credentials=creds), 403, "UnrecognizedClientException")


def test_tampered_body(tenet):
    req = A.build(tenet, "POST", "/tenet/access-keys", body={"description": "original"})
    req.data = b'{"description": "tampered"}'
    r = A.send(tenet, req)
    A.assert_error(r, 403, "InvalidSignatureException")
    descriptions = {k["description"] for k in A.list_keys(tenet)}
    assert "tampered" not in descriptions and "original" not in descriptions


def test_tampered_signed_header(tenet):
    req = A.build(tenet, "GET", "/endpoint", headers={"X-Amz-Meta-Probe": "one"})
    assert "x-amz-meta-probe" in req.headers["Authorization"]
    A.ok(A.send(tenet, req))  # untouched, it passes
    req.headers.replace_header("X-Amz-Meta-Probe", "two")
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


def test_tampered_date_header(tenet):
    req = A.build(tenet, "GET", "/endpoint")
    ts = datetime.datetime.strptime(req.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ") + datetime.timedelta(seconds=1)
    req.headers.replace_header("X-Amz-Date", ts.strftime("%Y%m%dT%H%M%SZ"))
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


def test_tampered_path(tenet):
    req = A.build(tenet, "GET", "/endpoint")
    req.url = tenet.control_url + "/tenet/operations"
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


def test_tampered_query(tenet):
    req = A.build(tenet, "GET", "/endpoint?endpointType=iot%3AData")
    A.ok(A.send(tenet, req))
    req.url = tenet.control_url + "/endpoint?endpointType=iot%3AData-ATS"
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


def test_added_query_parameter(tenet):
    req = A.build(tenet, "GET", "/tenet/access-keys")
    req.url = tenet.control_url + "/tenet/access-keys?maxResults=1"
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


def test_tampered_method(tenet):
    req = A.build(tenet, "GET", "/tenet/access-keys/TNTANOSUCHKEY0000000")
    req.method = "DELETE"
    A.assert_error(A.send(tenet, req), 403, "InvalidSignatureException")


@pytest.mark.parametrize("offset,ok", [(-(SKEW + 120), False), (-(SKEW - 60), True),
                                       (SKEW - 60, True), (SKEW + 120, False)])
def test_clock_skew(tenet, offset, ok):
    r = A.describe_endpoint(tenet, when=_now() + datetime.timedelta(seconds=offset))
    if ok:
        A.ok(r)
    else:
        A.assert_error(r, 403, "InvalidSignatureException")


def test_clock_skew_configurable(tenet_factory):
    srv = tenet_factory(config={"control": {"clock_skew_seconds": 30}})
    A.ok(A.describe_endpoint(srv, when=_now() - datetime.timedelta(seconds=10)))
    A.assert_error(A.describe_endpoint(srv, when=_now() - datetime.timedelta(seconds=90)), 403,
                   "InvalidSignatureException")
    A.assert_error(A.describe_endpoint(srv, when=_now() + datetime.timedelta(seconds=90)), 403,
                   "InvalidSignatureException")


class _NoHost(SigV4Auth):
    def headers_to_sign(self, request):
        h = super().headers_to_sign(request)
        del h["host"]
        return h


class _NoDate(SigV4Auth):
    def headers_to_sign(self, request):
        h = super().headers_to_sign(request)
        del h["x-amz-date"]
        return h


@pytest.mark.parametrize("signer", [_NoHost, _NoDate], ids=["host", "x-amz-date"])
def test_required_header_not_signed(tenet, signer):
    """A signature that is correct over its SignedHeaders, but leaves out host / x-amz-date."""
    req = A.build(tenet, "GET", "/endpoint", sign=False)
    signer(A.admin_credentials(tenet), "iot", A.server_region(tenet)).add_auth(req)
    signed = req.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert ("host" not in signed.split(";")) or ("x-amz-date" not in signed.split(";"))
    A.assert_error(A.send(tenet, req), 403, "IncompleteSignatureException")


def test_hand_built_authorization_without_host(tenet):
    """Hand-written header whose SignedHeaders omits host (signature value irrelevant)."""
    admin = A.admin_credentials(tenet)
    now = _now()
    auth = (f"AWS4-HMAC-SHA256 Credential={admin.access_key}/{now:%Y%m%d}/{A.server_region(tenet)}/iot/aws4_request, "
            f"SignedHeaders=x-amz-date, Signature={'0' * 64}")
    r = A.send_prepared(tenet, "GET", tenet.control_url + "/endpoint",
                        {"Authorization": auth, "X-Amz-Date": f"{now:%Y%m%dT%H%M%SZ}"})
    A.assert_error(r, 403, "IncompleteSignatureException")


def test_presigned_url_valid_then_expired(tenet):
    start = time.monotonic()
    url = A.presign(tenet, "GET", "/endpoint?endpointType=iot%3AData", expires=2, when=_now())
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=2" in url
    A.ok(A.send_prepared(tenet, "GET", url, {}))
    # Then, within a bounded time, the very same URL is refused as expired.
    r = wait_until(lambda: (lambda x: x if x.status != 200 else None)(A.send_prepared(tenet, "GET", url, {})),
                   timeout=8, interval=0.25, what="presigned URL expiry")
    A.assert_error(r, 403, "ExpiredTokenException")
    assert time.monotonic() - start >= 1.0  # it really was valid for a while


def test_presigned_url_tampered(tenet):
    url = A.presign(tenet, "GET", "/endpoint?endpointType=iot%3AData", expires=60)
    A.ok(A.send_prepared(tenet, "GET", url, {}))
    A.assert_error(A.send_prepared(tenet, "GET", url.replace("iot%3AData", "iot%3AData-ATS", 1), {}), 403,
                   "InvalidSignatureException")


def test_presigned_url_old_but_within_expires(tenet):
    """Presigned: X-Amz-Date may be older than the skew as long as X-Amz-Expires has not passed."""
    url = A.presign(tenet, "GET", "/endpoint", expires=3600, when=_now() - datetime.timedelta(seconds=SKEW * 2))
    A.ok(A.send_prepared(tenet, "GET", url, {}))


def test_presigned_url_in_the_future(tenet):
    url = A.presign(tenet, "GET", "/endpoint", expires=3600, when=_now() + datetime.timedelta(seconds=SKEW * 2))
    A.assert_error(A.send_prepared(tenet, "GET", url, {}), 403, "InvalidSignatureException")


def test_presigned_url_wrong_secret(tenet):
    admin = A.admin_credentials(tenet)
    url = A.presign(tenet, "GET", "/endpoint", expires=60, credentials=Credentials(admin.access_key, "B" * 40))
    A.assert_error(A.send_prepared(tenet, "GET", url, {}), 403, "InvalidSignatureException")


def test_temporary_credential(tenet):
    key = A.create_key(tenet, "sigv4 temp", duration=900)
    assert key["sessionToken"] and key["expiration"]
    creds = A.key_credentials(key)
    A.ok(A.describe_endpoint(tenet, credentials=creds))
    r = A.describe_endpoint(tenet, credentials=Credentials(creds.access_key, creds.secret_key))
    A.assert_error(r, 403, "UnrecognizedClientException")
    wrong = ("A" if creds.token[0] != "A" else "B") + creds.token[1:]
    r = A.describe_endpoint(tenet, credentials=Credentials(creds.access_key, creds.secret_key, wrong))
    A.assert_error(r, 403, "UnrecognizedClientException")
    _no_secret_in(r, creds.secret_key, creds.token)
    # The token over a presigned URL works too.
    A.ok(A.send_prepared(tenet, "GET", A.presign(tenet, "GET", "/endpoint", credentials=creds), {}))


def test_permanent_key_with_session_token(tenet):
    admin = A.admin_credentials(tenet)
    r = A.describe_endpoint(tenet, credentials=Credentials(admin.access_key, admin.secret_key, "bogus-token"))
    A.assert_error(r, 403, "UnrecognizedClientException")


def test_expired_temporary_credential(tenet):
    key = A.create_key(tenet, "sigv4 short", duration=1)
    creds = A.key_credentials(key)

    def refused():
        r = A.describe_endpoint(tenet, credentials=creds)
        return r if r.status != 200 else None

    r = wait_until(refused, timeout=8, interval=0.2, what="temporary credential expiry")
    A.assert_error(r, 403, "ExpiredTokenException")
    _no_secret_in(r, creds.secret_key, creds.token)


@pytest.mark.parametrize("duration", [0, -1, 36 * 3600 + 1])
def test_temporary_credential_duration_bounds(tenet, duration):
    r = A.call(tenet, "POST", "/tenet/access-keys", body={"description": "bad", "durationSeconds": duration})
    A.assert_error(r, 400, "InvalidRequestException")


def test_max_duration_accepted(tenet):
    key = A.create_key(tenet, "sigv4 36h", duration=36 * 3600)
    assert abs(key["expiration"] - key["createDate"] - 36 * 3600) < 5


def test_error_bodies_never_carry_secrets(tenet):
    admin = A.admin_credentials(tenet)
    responses = [
        A.describe_endpoint(tenet, credentials=Credentials(admin.access_key, admin.secret_key[::-1])),
        A.describe_endpoint(tenet, credentials=Credentials(admin.access_key, admin.secret_key, "tok")),
        A.describe_endpoint(tenet, region="xx-nowhere-1"),
        A.describe_endpoint(tenet, when=_now() - datetime.timedelta(hours=2)),
        A.call(tenet, "GET", "/nowhere"),
        A.call(tenet, "GET", "/tenet/access-keys"),
    ]
    for r in responses:
        _no_secret_in(r, admin.secret_key, admin.secret_key[::-1])
