"""Policies enforced on real MQTT connections (authz.mode = "policy", the default): CONNECT,
PUBLISH, SUBSCRIBE and Receive decided by the attached policies, and changes applied to live
sessions at once."""

from __future__ import annotations

import json
import time

import pytest

from support import aws as A
from support import packets as P

ACCOUNT = "arn:aws:iot:us-east-1:000000000000"

DEVICE_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{ACCOUNT}:client/${{iot:Connection.Thing.ThingName}}"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": f"{ACCOUNT}:topic/dev/${{iot:Connection.Thing.ThingName}}/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": f"{ACCOUNT}:topicfilter/dev/${{iot:Connection.Thing.ThingName}}/*"},
        {"Effect": "Deny", "Action": "iot:Receive", "Resource": f"{ACCOUNT}:topic/dev/*/secret"},
    ],
})


@pytest.fixture(scope="module")
def srv(module_tenet_factory):
    return module_tenet_factory(authz="policy")


def api(srv, method, path, body=None, headers=None):
    return A.call(srv, method, path, body=body, headers=headers)


def onboard(srv, name: str, policy: str | None = None, group: str | None = None) -> str:
    """A thing with its own registered certificate, attached; returns the certificate ARN."""
    cert_pem, _ = srv.issue_cert(name)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    with open(cert_pem, "rb") as f:
        cid = x509.load_pem_x509_certificate(f.read()).fingerprint(hashes.SHA256()).hex()
    arn = f"{ACCOUNT}:cert/{cid}"
    A.ok(api(srv, "POST", f"/things/{name}", body={}))
    A.ok(api(srv, "PUT", f"/things/{name}/principals", headers={"x-amzn-principal": arn}))
    if group:
        A.ok(api(srv, "PUT", "/thing-groups/addThingToThingGroup", body={"thingGroupName": group, "thingName": name}))
    if policy:
        A.ok(api(srv, "PUT", f"/target-policies/{policy}", body={"target": arn}))
    return arn


def create_policy(srv, name: str, document: str = DEVICE_POLICY):
    A.ok(api(srv, "POST", f"/policies/{name}", body={"policyDocument": document}))


def connect(srv, name: str, v5: bool = True):
    c = srv.open(srv.tls_context(cert=name), label=name)
    c.v5 = v5
    c.send(P.connect(name, v5=v5))
    return c, P.parse_connack(c.expect_type(P.CONNACK), v5)


def test_without_a_policy_connect_is_denied_with_a_reason(srv, uid):
    onboard(srv, f"{uid}-np")
    c, ack = connect(srv, f"{uid}-np")
    assert ack.code == 0x87
    assert f"iot:Connect on client/{uid}-np" in srv.log_tail()


def test_device_policy_scopes_connect_publish_subscribe_and_receive(srv, uid):
    create_policy(srv, f"dev-{uid}")
    name = f"{uid}-d1"
    onboard(srv, name, policy=f"dev-{uid}")
    c, ack = connect(srv, name)
    assert ack.code == 0
    # Subscribe: own prefix granted, anything wider refused per filter.
    c.send(P.subscribe(1, [(f"dev/{name}/#", 1), ("dev/#", 1)], v5=True))
    sub = c.expect_type(P.SUBACK)
    assert list(sub.body[-2:]) == [0x01, 0x87], sub
    # Publish: own topic accepted; another device's refused with 0x87 (v5 PUBACK).
    assert c.publish(f"dev/{name}/temp", b"21", qos=1, pid=2) == 0x00
    assert c.publish(f"dev/other/temp", b"21", qos=1, pid=3) == 0x87
    # Receive: the message on the own topic arrives; the explicitly denied one is skipped.
    got = c.receive()
    assert got.topic == f"dev/{name}/temp"
    c.publish(f"dev/{name}/secret", b"x", qos=1, pid=4)
    c.publish(f"dev/{name}/after", b"y", qos=1, pid=5)
    assert c.receive().topic == f"dev/{name}/after"


def test_v311_denied_publish_closes_the_connection(srv, uid):
    create_policy(srv, f"v3-{uid}")
    name = f"{uid}-v3"
    onboard(srv, name, policy=f"v3-{uid}")
    c, ack = connect(srv, name, v5=False)
    assert ack.code == 0
    c.send(P.publish("not/mine", b"x", qos=0))
    c.expect_closed()


def test_detaching_the_policy_closes_the_live_session(srv, uid):
    create_policy(srv, f"live-{uid}")
    name = f"{uid}-live"
    arn = onboard(srv, name, policy=f"live-{uid}")
    c, ack = connect(srv, name)
    assert ack.code == 0
    A.ok(api(srv, "POST", f"/target-policies/live-{uid}", body={"target": arn}))  # DetachPolicy
    assert c.expect_disconnect(0x87) == 0x87


def test_a_new_default_version_applies_to_the_next_packet(srv, uid):
    create_policy(srv, f"ver-{uid}")
    name = f"{uid}-ver"
    onboard(srv, name, policy=f"ver-{uid}")
    c, ack = connect(srv, name)
    assert ack.code == 0
    assert c.publish(f"dev/{name}/a", b"1", qos=1, pid=1) == 0x00
    tighter = json.loads(DEVICE_POLICY)
    tighter["Statement"].append({"Effect": "Deny", "Action": "iot:Publish", "Resource": f"{ACCOUNT}:topic/dev/*/a"})
    A.ok(api(srv, "POST", f"/policies/ver-{uid}/version?setAsDefault=true",
             body={"policyDocument": json.dumps(tighter)}))
    assert c.publish(f"dev/{name}/a", b"2", qos=1, pid=2) == 0x87
    assert c.publish(f"dev/{name}/b", b"3", qos=1, pid=3) == 0x00


def test_group_policies_follow_membership(srv, uid):
    group = f"fleet-{uid}"
    A.ok(api(srv, "POST", f"/thing-groups/{group}", body={}))
    create_policy(srv, f"grp-{uid}")
    A.ok(api(srv, "PUT", f"/target-policies/grp-{uid}", body={"target": f"{ACCOUNT}:thinggroup/{group}"}))
    name = f"{uid}-g"
    onboard(srv, name, group=group)
    c, ack = connect(srv, name)
    assert ack.code == 0
    A.ok(api(srv, "PUT", "/thing-groups/removeThingFromThingGroup", body={"thingGroupName": group, "thingName": name}))
    assert c.expect_disconnect(0x87) == 0x87


def test_policy_change_latency(srv, uid, record_property):
    """From the DetachPolicy response to the session closing (recorded, not asserted)."""
    create_policy(srv, f"lat-{uid}")
    samples = []
    for i in range(15):
        name = f"{uid}-lat{i}"
        arn = onboard(srv, name, policy=f"lat-{uid}")
        c, ack = connect(srv, name)
        assert ack.code == 0
        A.ok(api(srv, "POST", f"/target-policies/lat-{uid}", body={"target": arn}))
        t0 = time.monotonic()
        c.expect_disconnect(0x87)
        samples.append((time.monotonic() - t0) * 1000)
    samples.sort()
    record_property("policy_change_p50_ms", round(samples[len(samples) // 2], 3))
    print(f"\npolicy change to effect: p50 {samples[len(samples) // 2]:.2f} ms, max {samples[-1]:.2f} ms")


def test_decision_log_records_denies_and_verifies(srv, uid):
    import subprocess
    from support.server import tenet_bin

    create_policy(srv, f"log-{uid}")
    name = f"{uid}-log"
    onboard(srv, name, policy=f"log-{uid}")
    c, ack = connect(srv, name)
    assert ack.code == 0
    assert c.publish(f"elsewhere/{uid}", b"x", qos=1, pid=1) == 0x87
    path = srv.data_dir / "decisions.log"
    lines = [json.loads(l) for l in path.read_text().splitlines()]
    mine = [l for l in lines if l["client_id"] == name]
    assert mine and mine[-1]["action"] == "iot:Publish" and mine[-1]["resource"] == f"elsewhere/{uid}"
    assert mine[-1]["decision"] == "IMPLICIT_DENY" and mine[-1]["reason"] == "no statement matched"
    assert mine[-1]["thing"] == name and len(mine[-1]["prev"]) == 64
    ok = subprocess.run([tenet_bin(), "log", "verify", "--data-dir", str(srv.data_dir)], capture_output=True, text=True,
                        timeout=30)
    assert ok.returncode == 0, ok.stderr
    # Tampering with any line but the last is detected (copy, so the server's log stays intact).
    copy = srv.root / f"tampered-{uid}.log"
    text = path.read_text().splitlines()
    assert len(text) >= 2
    text[0] = text[0].replace('"decision":"', '"decision":"X')
    copy.write_text("\n".join(text) + "\n")
    bad = subprocess.run([tenet_bin(), "log", "verify", str(copy)], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "NOT intact" in bad.stderr


def test_identity_refusals_are_in_the_decision_log(srv, uid):
    import subprocess
    from support.server import tenet_bin

    name = f"{uid}-revoked"
    arn = onboard(srv, name)
    A.ok(api(srv, "PUT", f"/certificates/{arn.rsplit('/', 1)[1]}?newStatus=INACTIVE"))
    c, ack = connect(srv, name)
    assert ack.code == 0x87
    lines = [json.loads(l) for l in (srv.data_dir / "decisions.log").read_text().splitlines()]
    mine = [l for l in lines if l["client_id"] == name]
    assert mine and mine[-1]["decision"] == "IDENTITY_REFUSED" and "INACTIVE" in mine[-1]["reason"]


def test_policy_explain_shows_the_deciding_statement_and_evaluates_drafts(srv, uid, tmp_path):
    import subprocess
    from support.server import tenet_bin

    create_policy(srv, f"ex-{uid}")
    name = f"{uid}-ex"
    arn = onboard(srv, name, policy=f"ex-{uid}")

    def explain(resource, *extra):
        return subprocess.run([tenet_bin(), "policy", "explain", "--data-dir", str(srv.data_dir), "--principal", arn,
                               "--client-id", name, "--action", "iot:Publish", "--resource", resource, *extra],
                              capture_output=True, text=True, timeout=30)

    ok = explain(f"topic/dev/{name}/temp")
    assert ok.returncode == 0, ok.stderr
    assert f"ex-{uid}" in ok.stdout and "ALLOW" in ok.stdout.upper()
    denied = explain("topic/elsewhere")
    assert denied.returncode == 3, (denied.returncode, denied.stderr)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iot:Publish", "Resource": f"{ACCOUNT}:topic/dev/*/temp"}]}))
    with_draft = explain(f"topic/dev/{name}/temp", "--draft", str(draft))
    assert with_draft.returncode == 3 and "(draft)" in with_draft.stdout, with_draft.stdout
