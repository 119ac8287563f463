"""The `tenet` client commands against a real server: admin keys, endpoint, things, groups,
certificates and `tenet device onboard` — whose output files must be enough for a device to connect."""

from __future__ import annotations

import json
import os
import ssl
import stat
import subprocess

from support import packets as P
from support.client import MqttConn
from support.server import tenet_bin


def cli(srv, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    for k in [k for k in e if k.startswith("AWS_")]:
        del e[k]
    e.update(env or {})
    return subprocess.run([tenet_bin(), *args, "--data-dir", str(srv.data_dir)], capture_output=True, text=True,
                          timeout=30, env=e)


def test_endpoint_describe(tenet):
    r = cli(tenet, "endpoint", "describe")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"127.0.0.1:{tenet.port}"


def test_admin_key_lifecycle_and_exit_codes(tenet, uid):
    r = cli(tenet, "admin", "key", "create", "--description", uid, "--json")
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["accessKey"]
    assert len(key["secretAccessKey"]) == 40
    listed = cli(tenet, "admin", "key", "list")
    assert key["accessKeyId"] in listed.stdout and uid in listed.stdout
    assert key["secretAccessKey"] not in listed.stdout
    # The new key signs on its own (environment credentials, no data dir).
    env = {"AWS_ACCESS_KEY_ID": key["accessKeyId"], "AWS_SECRET_ACCESS_KEY": key["secretAccessKey"],
           "AWS_CA_BUNDLE": tenet.ca_path, "AWS_ENDPOINT_URL": tenet.control_url}
    own = subprocess.run([tenet_bin(), "endpoint", "describe"], capture_output=True, text=True, timeout=30,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **env})
    assert own.returncode == 0, own.stderr
    assert cli(tenet, "admin", "key", "deactivate", key["accessKeyId"]).returncode == 0
    refused = subprocess.run([tenet_bin(), "endpoint", "describe"], capture_output=True, text=True, timeout=30,
                             env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **env})
    assert refused.returncode == 3 and "UnrecognizedClientException" in refused.stderr  # 3 = auth refused
    assert cli(tenet, "admin", "key", "delete", key["accessKeyId"]).returncode == 0
    gone = cli(tenet, "admin", "key", "delete", key["accessKeyId"])
    assert gone.returncode == 4 and "ResourceNotFoundException" in gone.stderr  # 4 = not found


def test_usage_error_exit_code(tenet):
    r = cli(tenet, "thing", "create", "x", "--attr", "no-equals-sign")
    assert r.returncode == 2, (r.returncode, r.stderr)


def test_device_onboard_writes_files_a_device_can_connect_with(tenet, uid):
    out = tenet.root / f"dev-{uid}"
    cli(tenet, "group", "create", f"fleet-{uid}")
    r = cli(tenet, "device", "onboard", f"{uid}-s1", "--out", str(out), "--group", f"fleet-{uid}",
            "--attr", "fw=1.0", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    cfg = json.loads((out / "device.json").read_text())
    assert cfg["thingName"] == f"{uid}-s1" and cfg["endpoint"] == f"127.0.0.1:{tenet.port}"
    key = out / f"{uid}-s1.private.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # The thing exists, is in the group, and owns the certificate exclusively.
    things = json.loads(cli(tenet, "thing", "describe", f"{uid}-s1").stdout)
    assert things["attributes"] == {"fw": "1.0"}
    # Connect with exactly the written files.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(out / "ca.pem"))
    ctx.load_cert_chain(str(out / cfg["certificate"]), str(key))
    c = tenet.open(ctx, label="onboarded")
    c.send(P.connect(cfg["clientId"], v5=True))
    c.v5 = True
    assert P.parse_connack(c.expect_type(P.CONNACK), True).code == 0
    # Revoking from the CLI closes it at once.
    assert cli(tenet, "cert", "revoke", info["certificateId"]).returncode == 0
    assert c.expect_disconnect(0x98) == 0x98


def test_cert_list_and_thing_list_tables(tenet, uid):
    cli(tenet, "thing", "create", f"{uid}-t", "--attr", "room=1")
    t = cli(tenet, "thing", "list")
    assert t.returncode == 0 and f"{uid}-t" in t.stdout and "room=1" in t.stdout
    r = cli(tenet, "cert", "create", "--out-dir", str(tenet.root / f"c-{uid}"), "--json")
    assert r.returncode == 0, r.stderr
    cid = json.loads(r.stdout)["certificateId"]
    listed = cli(tenet, "cert", "list")
    assert cid in listed.stdout and "ACTIVE" in listed.stdout
    cas = cli(tenet, "ca", "list")
    assert cas.returncode == 0 and "ACTIVE" in cas.stdout
