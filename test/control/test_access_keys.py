"""tenet's own access keys (/tenet/access-keys): lifecycle, pagination, persistence, secrets at rest."""

from __future__ import annotations

import re
import sqlite3
import stat

import pytest

from support import aws as A

KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_key_fields(tenet):
    key = A.create_key(tenet, "fields")
    assert KEY_ID.match(key["accessKeyId"]), key
    assert len(key["secretAccessKey"]) == 40, key
    assert key["status"] == "Active"
    assert key["description"] == "fields"
    assert key["bootstrap"] is False
    assert isinstance(key["createDate"], (int, float)) and key["createDate"] > 1.6e9
    assert "sessionToken" not in key and "expiration" not in key
    other = A.create_key(tenet, "fields 2")
    assert other["accessKeyId"] != key["accessKeyId"]
    assert other["secretAccessKey"] != key["secretAccessKey"]


def test_create_temporary_key_fields(tenet):
    key = A.create_key(tenet, "temporary", duration=900)
    assert key["sessionToken"] and key["expiration"]
    assert abs(key["expiration"] - key["createDate"] - 900) < 5
    assert key["accessKeyId"] != A.create_key(tenet, "temporary 2", duration=900)["accessKeyId"]
    listed = {k["accessKeyId"]: k for k in A.list_keys(tenet)}[key["accessKeyId"]]
    assert "sessionToken" not in listed and "secretAccessKey" not in listed
    assert listed["expiration"] == pytest.approx(key["expiration"], abs=1)


def test_list_never_shows_secrets(tenet):
    key = A.create_key(tenet, "list secrets")
    r = A.call(tenet, "GET", "/tenet/access-keys")
    body = A.ok(r)
    assert key["secretAccessKey"].encode() not in r.body
    assert A.admin_credentials(tenet).secret_key.encode() not in r.body
    for k in body["accessKeys"]:
        assert "secretAccessKey" not in k and "sessionToken" not in k, k
    mine = [k for k in body["accessKeys"] if k["accessKeyId"] == key["accessKeyId"]]
    assert mine and mine[0]["description"] == "list secrets" and mine[0]["status"] == "Active"
    boot = [k for k in body["accessKeys"] if k["accessKeyId"] == A.admin_credentials(tenet).access_key]
    assert boot and boot[0]["bootstrap"] is True


def test_pagination(tenet):
    for i in range(3):
        A.create_key(tenet, f"page {i}")
    full = A.list_keys(tenet)
    assert len(full) >= 4
    pages, token, seen = 0, None, []
    while True:
        params = {"maxResults": "1"} | ({"nextToken": token} if token else {})
        body = A.ok(A.call(tenet, "GET", "/tenet/access-keys", params=params))
        assert len(body["accessKeys"]) <= 1
        seen += [k["accessKeyId"] for k in body["accessKeys"]]
        pages += 1
        token = body.get("nextToken")
        if not token:
            break
        assert pages <= len(full) + 1, "pagination does not end"
    assert len(seen) == len(set(seen)), "a key came twice"
    assert sorted(seen) == sorted(k["accessKeyId"] for k in full)
    assert pages >= len(full)
    # maxResults=2 halves the pages.
    body = A.ok(A.call(tenet, "GET", "/tenet/access-keys", params={"maxResults": "2"}))
    assert len(body["accessKeys"]) == 2 and body.get("nextToken")


@pytest.mark.parametrize("params", [{"maxResults": "0"}, {"maxResults": "abc"}, {"maxResults": "100000"},
                                    {"nextToken": "garbage"}])
def test_list_bad_params(tenet, params):
    A.assert_error(A.call(tenet, "GET", "/tenet/access-keys", params=params), 400, "InvalidRequestException")


def test_lifecycle(tenet):
    key = A.create_key(tenet, "lifecycle")
    kid, creds = key["accessKeyId"], A.key_credentials(key)
    # Works immediately, both for AWS operations and for the access-key API.
    A.ok(A.describe_endpoint(tenet, credentials=creds))
    A.ok(A.call(tenet, "GET", "/tenet/access-keys", credentials=creds))
    # Deactivate: refused on the very next request.
    A.ok(A.set_key_status(tenet, kid, "Inactive"))
    A.assert_error(A.describe_endpoint(tenet, credentials=creds), 403, "UnrecognizedClientException")
    assert {k["accessKeyId"]: k for k in A.list_keys(tenet)}[kid]["status"] == "Inactive"
    # Reactivate: works on the very next request.
    A.ok(A.set_key_status(tenet, kid, "Active"))
    A.ok(A.describe_endpoint(tenet, credentials=creds))
    assert {k["accessKeyId"]: k for k in A.list_keys(tenet)}[kid]["status"] == "Active"
    # Delete: refused, gone from the list, a second delete is 404.
    A.ok(A.delete_key(tenet, kid))
    A.assert_error(A.describe_endpoint(tenet, credentials=creds), 403, "UnrecognizedClientException")
    assert kid not in {k["accessKeyId"] for k in A.list_keys(tenet)}
    A.assert_error(A.delete_key(tenet, kid), 404, "ResourceNotFoundException")
    A.assert_error(A.set_key_status(tenet, kid, "Active"), 404, "ResourceNotFoundException")


def test_key_can_manage_itself_out(tenet):
    """A key deleting itself: that request succeeds, the next one with it is refused."""
    key = A.create_key(tenet, "self delete")
    creds = A.key_credentials(key)
    A.ok(A.call(tenet, "DELETE", f"/tenet/access-keys/{key['accessKeyId']}", credentials=creds))
    A.assert_error(A.describe_endpoint(tenet, credentials=creds), 403, "UnrecognizedClientException")


@pytest.mark.parametrize("body", [{"status": "Bogus"}, {}, {"status": "active"}])
def test_update_bad_status(tenet, body):
    key = A.create_key(tenet, "bad status")
    r = A.call(tenet, "PATCH", f"/tenet/access-keys/{key['accessKeyId']}", body=body)
    A.assert_error(r, 400, "InvalidRequestException")


def test_create_bad_json(tenet):
    r = A.call(tenet, "POST", "/tenet/access-keys", body=b"{not json")
    A.assert_error(r, 400, "InvalidRequestException")


@pytest.mark.parametrize("body", [{"description": 5}, {"description": ["x"]},
                                  {"description": "x", "durationSeconds": "900"},
                                  {"description": "x", "durationSeconds": 900.5}, []],
                         ids=["description-int", "description-list", "duration-string", "duration-float", "array"])
def test_create_wrong_types(tenet, body):
    """description must be a string and durationSeconds an integer; the body an object."""
    r = A.call(tenet, "POST", "/tenet/access-keys", body=__import__("json").dumps(body).encode())
    A.assert_error(r, 400, "InvalidRequestException")


def test_unknown_key_404(tenet):
    A.assert_error(A.delete_key(tenet, "TNTANOSUCHKEY0000000"), 404, "ResourceNotFoundException")
    A.assert_error(A.set_key_status(tenet, "TNTANOSUCHKEY0000000", "Inactive"), 404, "ResourceNotFoundException")


def test_last_active_permanent_key(tenet_factory):
    srv = tenet_factory()
    admin = A.admin_credentials(srv).access_key
    A.assert_error(A.set_key_status(srv, admin, "Inactive"), 409, "ConflictException")
    A.assert_error(A.delete_key(srv, admin), 409, "ConflictException")
    # A temporary key does not count as a way back in.
    A.create_key(srv, "temp", duration=900)
    A.assert_error(A.set_key_status(srv, admin, "Inactive"), 409, "ConflictException")
    # An inactive permanent key does not either.
    other = A.create_key(srv, "other")
    A.ok(A.set_key_status(srv, other["accessKeyId"], "Inactive"))
    A.assert_error(A.delete_key(srv, admin), 409, "ConflictException")
    # With another active permanent key, the bootstrap key may go; the other is then the last one.
    A.ok(A.set_key_status(srv, other["accessKeyId"], "Active"))
    oc = A.key_credentials(other)
    A.ok(A.call(srv, "DELETE", f"/tenet/access-keys/{admin}", credentials=oc))
    A.assert_error(A.describe_endpoint(srv), 403, "UnrecognizedClientException")
    A.assert_error(A.call(srv, "PATCH", f"/tenet/access-keys/{other['accessKeyId']}", body={"status": "Inactive"},
                          credentials=oc), 409, "ConflictException")
    A.assert_error(A.call(srv, "DELETE", f"/tenet/access-keys/{other['accessKeyId']}", credentials=oc), 409,
                   "ConflictException")
    A.ok(A.describe_endpoint(srv, credentials=oc))


def test_keys_survive_restart(tenet_factory):
    srv = tenet_factory()
    active = A.create_key(srv, "survivor")
    inactive = A.create_key(srv, "sleeper")
    deleted = A.create_key(srv, "goner")
    temp = A.create_key(srv, "temp survivor", duration=900)
    A.ok(A.set_key_status(srv, inactive["accessKeyId"], "Inactive"))
    A.ok(A.delete_key(srv, deleted["accessKeyId"]))
    before = {k["accessKeyId"]: k for k in A.list_keys(srv)}
    admin_before = A.admin_credentials(srv)
    srv.restart()
    admin_after = A.admin_credentials(srv)
    assert (admin_after.access_key, admin_after.secret_key) == (admin_before.access_key, admin_before.secret_key), \
        "restart replaced the bootstrap credentials"
    A.ok(A.describe_endpoint(srv))
    A.ok(A.describe_endpoint(srv, credentials=A.key_credentials(active)))
    A.ok(A.describe_endpoint(srv, credentials=A.key_credentials(temp)))
    A.assert_error(A.describe_endpoint(srv, credentials=A.key_credentials(inactive)), 403,
                   "UnrecognizedClientException")
    A.assert_error(A.describe_endpoint(srv, credentials=A.key_credentials(deleted)), 403,
                   "UnrecognizedClientException")
    after = {k["accessKeyId"]: k for k in A.list_keys(srv)}
    assert set(after) == set(before)
    for kid, k in before.items():
        for field in ("status", "description", "bootstrap", "createDate", "expiration"):
            assert after[kid].get(field) == k.get(field), (kid, field, k, after[kid])


def test_no_secret_at_rest(tenet_factory):
    srv = tenet_factory()
    perm = A.create_key(srv, "at rest")
    temp = A.create_key(srv, "at rest temp", duration=900)
    admin = A.admin_credentials(srv)
    # Secret access keys (session tokens are stored as issued: they do not sign anything on their own).
    secrets = [perm["secretAccessKey"], temp["secretAccessKey"], admin.secret_key]
    A.ok(A.describe_endpoint(srv, credentials=A.key_credentials(perm)))
    srv.stop_checked()  # checkpoint the WAL; still look at every file afterwards
    # Every row of every table, through sqlite.
    db = sqlite3.connect(f"file:{srv.data_dir / 'tenet.db'}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables
        for t in tables:
            for row in db.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    blob = v if isinstance(v, bytes) else str(v).encode()
                    for s in secrets:
                        assert s.encode() not in blob, f"secret in plain text in table {t}"
    finally:
        db.close()
    # And the raw bytes of every file of the data dir but admin-credentials (which is meant to hold one),
    # plus the server log.
    files = [p for p in srv.data_dir.iterdir() if p.is_file() and p.name != "admin-credentials"] + [srv.log_path]
    assert any(p.name.startswith("tenet.db") for p in files)
    for p in files:
        data = p.read_bytes()
        for s in secrets:
            assert s.encode() not in data, f"secret in plain text in {p.name}"
    srv.start()


def test_file_modes(tenet):
    d = tenet.data_dir
    assert _mode(d / "master.key") == 0o600
    assert (d / "master.key").stat().st_size == 32
    assert _mode(d / "admin-credentials") == 0o600
    assert _mode(d) & 0o077 == 0
    text = (d / "admin-credentials").read_text()
    assert "[default]" in text and "aws_access_key_id" in text and "aws_secret_access_key" in text
    assert f"region = {A.server_region(tenet)}" in text
    cfg = (d / "aws-config").read_text()
    assert f"ca_bundle = {tenet.ca_path}" in cfg and "region = " in cfg


def test_master_key_stable_across_restart(tenet_factory):
    srv = tenet_factory()
    before = (srv.data_dir / "master.key").read_bytes()
    key = A.create_key(srv, "stable")
    srv.restart()
    assert (srv.data_dir / "master.key").read_bytes() == before
    assert _mode(srv.data_dir / "master.key") == 0o600
    A.ok(A.describe_endpoint(srv, credentials=A.key_credentials(key)))
