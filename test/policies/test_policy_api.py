"""Policy operations (issue 5, docs/policy.md#policy-operations) against the real server: every
operation through /usr/bin/aws (never `aws` from PATH; always srv.aws_env()), the AWS error codes,
TestAuthorization with the real engine, and a restart that keeps everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Each /usr/bin/aws call starts a Python interpreter (~1 s, more on a loaded machine): these tests
# get a longer bound than the suite default.
pytestmark = pytest.mark.timeout(240)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AWS = "/usr/bin/aws"


def aws(srv, *args: str, check: bool = True):
    """Runs `aws iot ARGS` against srv; returns parsed JSON (or {}), or (rc, stderr) when check=False."""
    r = subprocess.run([AWS, "iot", *args, "--endpoint-url", srv.control_url, "--output", "json"],
                       env=srv.aws_env(), capture_output=True, text=True, timeout=60)
    if not check:
        return r.returncode, r.stderr
    assert r.returncode == 0, f"aws iot {' '.join(args)} failed: {r.stderr}"
    return json.loads(r.stdout) if r.stdout.strip() else {}


def aws_error(srv, *args: str) -> str:
    rc, err = aws(srv, *args, check=False)
    assert rc != 0, f"aws iot {' '.join(args)} unexpectedly succeeded"
    return err


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str, resource: str) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


CONNECT_ANY = doc(allow("iot:Connect", "*"))


def new_cert(srv) -> str:
    """A fresh ACTIVE certificate; returns its ARN."""
    return aws(srv, "create-keys-and-certificate", "--set-as-active")["certificateArn"]


def head_of(arn: str) -> str:
    """"arn:aws:iot:<region>:<account>:" of any ARN of this hub."""
    return ":".join(arn.split(":")[:5]) + ":"


def names(policies: list) -> list[str]:
    return [p["policyName"] for p in policies]


# -- policies and versions -----------------------------------------------------------------------

def test_create_get_list_and_tags(tenet, uid):
    name = f"pol-{uid}"
    out = aws(tenet, "create-policy", "--policy-name", name, "--policy-document", CONNECT_ANY,
              "--tags", "Key=team,Value=blue")
    assert out["policyName"] == name
    assert out["policyArn"].startswith("arn:aws:iot:") and out["policyArn"].endswith(f":policy/{name}")
    assert out["policyVersionId"] == "1"
    assert json.loads(out["policyDocument"]) == json.loads(CONNECT_ANY)
    got = aws(tenet, "get-policy", "--policy-name", name)
    assert got["defaultVersionId"] == "1" and got["policyArn"] == out["policyArn"]
    assert "creationDate" in got and "lastModifiedDate" in got and len(got["generationId"]) == 64
    tags = aws(tenet, "list-tags-for-resource", "--resource-arn", out["policyArn"])["tags"]
    assert tags == [{"Key": "team", "Value": "blue"}]
    listed = aws(tenet, "list-policies")["policies"]
    assert {"policyName": name, "policyArn": out["policyArn"]} in listed


def test_list_policies_pages_with_markers(tenet_factory):
    srv = tenet_factory()
    for n in ("c", "a", "e", "b", "d"):
        aws(srv, "create-policy", "--policy-name", n, "--policy-document", CONNECT_ANY)
    page = aws(srv, "list-policies", "--no-paginate", "--page-size", "2")
    assert names(page["policies"]) == ["a", "b"] and page["nextMarker"]
    page2 = aws(srv, "list-policies", "--no-paginate", "--page-size", "2", "--marker", page["nextMarker"])
    assert names(page2["policies"]) == ["c", "d"]
    # (awscli's own --page-size is shadowed by the model's pageSize: one call, not auto-pagination.)
    desc = aws(srv, "list-policies", "--no-paginate", "--no-ascending-order")["policies"]
    assert names(desc) == ["e", "d", "c", "b", "a"]


def test_versions_default_and_limits(tenet, uid):
    name = f"ver-{uid}"
    aws(tenet, "create-policy", "--policy-name", name, "--policy-document", CONNECT_ANY)
    publish = doc(allow("iot:Publish", "*"))
    v2 = aws(tenet, "create-policy-version", "--policy-name", name, "--policy-document", publish)
    assert v2["policyVersionId"] == "2" and v2["isDefaultVersion"] is False
    v3 = aws(tenet, "create-policy-version", "--policy-name", name, "--policy-document", publish, "--set-as-default")
    assert v3["policyVersionId"] == "3" and v3["isDefaultVersion"] is True
    assert aws(tenet, "get-policy", "--policy-name", name)["defaultVersionId"] == "3"
    gv = aws(tenet, "get-policy-version", "--policy-name", name, "--policy-version-id", "2")
    assert gv["isDefaultVersion"] is False and json.loads(gv["policyDocument"]) == json.loads(publish)
    versions = aws(tenet, "list-policy-versions", "--policy-name", name)["policyVersions"]
    assert [(v["versionId"], v["isDefaultVersion"]) for v in versions] == [("1", False), ("2", False), ("3", True)]
    aws(tenet, "set-default-policy-version", "--policy-name", name, "--policy-version-id", "1")
    assert aws(tenet, "get-policy", "--policy-name", name)["defaultVersionId"] == "1"
    assert "DeleteConflictException" in aws_error(tenet, "delete-policy-version", "--policy-name", name,
                                                  "--policy-version-id", "1")
    aws(tenet, "create-policy-version", "--policy-name", name, "--policy-document", publish)
    aws(tenet, "create-policy-version", "--policy-name", name, "--policy-document", publish)
    assert "VersionsLimitExceededException" in aws_error(tenet, "create-policy-version", "--policy-name", name,
                                                         "--policy-document", publish)
    # Ids are never reused: after deleting 5 the next one is 6.
    aws(tenet, "delete-policy-version", "--policy-name", name, "--policy-version-id", "5")
    v6 = aws(tenet, "create-policy-version", "--policy-name", name, "--policy-document", publish)
    assert v6["policyVersionId"] == "6"
    assert "DeleteConflictException" in aws_error(tenet, "delete-policy", "--policy-name", name)
    for v in ("2", "3", "4", "6"):
        aws(tenet, "delete-policy-version", "--policy-name", name, "--policy-version-id", v)
    aws(tenet, "delete-policy", "--policy-name", name)
    assert "ResourceNotFoundException" in aws_error(tenet, "get-policy", "--policy-name", name)


def test_error_codes(tenet, uid):
    name = f"err-{uid}"
    aws(tenet, "create-policy", "--policy-name", name, "--policy-document", CONNECT_ANY)
    assert "ResourceAlreadyExistsException" in aws_error(tenet, "create-policy", "--policy-name", name,
                                                         "--policy-document", CONNECT_ANY)
    bad = doc(allow("iot:Connect", "*"), allow("iot:Pubish", "*"))
    err = aws_error(tenet, "create-policy", "--policy-name", f"bad-{uid}", "--policy-document", bad)
    assert "MalformedPolicyException" in err and "Statement[1]" in err, err
    assert "MalformedPolicyException" in aws_error(tenet, "create-policy-version", "--policy-name", name,
                                                   "--policy-document", "not json")
    assert "InvalidRequestException" in aws_error(tenet, "create-policy", "--policy-name", "bad/name",
                                                  "--policy-document", CONNECT_ANY)
    assert "ResourceNotFoundException" in aws_error(tenet, "get-policy-version", "--policy-name", name,
                                                    "--policy-version-id", "9")
    assert "ResourceNotFoundException" in aws_error(tenet, "create-policy-version", "--policy-name", f"nope-{uid}",
                                                    "--policy-document", CONNECT_ANY)
    head = head_of(aws(tenet, "get-policy", "--policy-name", name)["policyArn"])
    assert "InvalidRequestException" in aws_error(tenet, "attach-policy", "--policy-name", name,
                                                  "--target", head + "thing/t")


# -- attachments -----------------------------------------------------------------------------------

def test_attach_detach_and_listings(tenet, uid):
    cert = new_cert(tenet)
    head = head_of(cert)
    group = aws(tenet, "create-thing-group", "--thing-group-name", f"g-{uid}")["thingGroupArn"]
    assert group == head + f"thinggroup/g-{uid}"
    p1, p2 = f"a1-{uid}", f"a2-{uid}"
    for p in (p1, p2):
        aws(tenet, "create-policy", "--policy-name", p, "--policy-document", CONNECT_ANY)
    aws(tenet, "attach-policy", "--policy-name", p1, "--target", cert)
    aws(tenet, "attach-policy", "--policy-name", p2, "--target", cert)
    aws(tenet, "attach-policy", "--policy-name", p1, "--target", cert)  # twice: no error
    aws(tenet, "attach-policy", "--policy-name", p1, "--target", group)
    assert sorted(names(aws(tenet, "list-attached-policies", "--target", cert)["policies"])) == sorted([p1, p2])
    page = aws(tenet, "list-attached-policies", "--target", cert, "--no-paginate", "--page-size", "1")
    assert len(page["policies"]) == 1 and page["nextMarker"]
    assert names(aws(tenet, "list-attached-policies", "--target", group)["policies"]) == [p1]
    assert sorted(aws(tenet, "list-targets-for-policy", "--policy-name", p1)["targets"]) == sorted([cert, group])
    assert "DeleteConflictException" in aws_error(tenet, "delete-policy", "--policy-name", p2)
    eff = aws(tenet, "get-effective-policies", "--principal", cert)["effectivePolicies"]
    assert sorted(names(eff)) == sorted([p1, p2])
    assert all(json.loads(e["policyDocument"]) == json.loads(CONNECT_ANY) for e in eff)
    aws(tenet, "detach-policy", "--policy-name", p2, "--target", cert)
    assert names(aws(tenet, "list-attached-policies", "--target", cert)["policies"]) == [p1]
    aws(tenet, "delete-policy", "--policy-name", p2)
    assert "ResourceNotFoundException" in aws_error(tenet, "attach-policy", "--policy-name", p2, "--target", cert)


def test_effective_policies_include_thing_groups(tenet, uid):
    cert = new_cert(tenet)
    parent = f"parent-{uid}"
    child = f"child-{uid}"
    parent_arn = aws(tenet, "create-thing-group", "--thing-group-name", parent)["thingGroupArn"]
    child_arn = aws(tenet, "create-thing-group", "--thing-group-name", child, "--parent-group-name", parent)["thingGroupArn"]
    thing = f"dev-{uid}"
    aws(tenet, "create-thing", "--thing-name", thing)
    aws(tenet, "add-thing-to-thing-group", "--thing-name", thing, "--thing-group-name", child)
    for p, target in ((f"c-{uid}", cert), (f"gc-{uid}", child_arn), (f"gp-{uid}", parent_arn)):
        aws(tenet, "create-policy", "--policy-name", p, "--policy-document", CONNECT_ANY)
        aws(tenet, "attach-policy", "--policy-name", p, "--target", target)
    eff = aws(tenet, "get-effective-policies", "--principal", cert, "--thing-name", thing)["effectivePolicies"]
    assert sorted(names(eff)) == sorted([f"c-{uid}", f"gc-{uid}", f"gp-{uid}"])
    rec = aws(tenet, "list-attached-policies", "--target", child_arn, "--recursive")["policies"]
    assert sorted(names(rec)) == sorted([f"gc-{uid}", f"gp-{uid}"])
    assert names(aws(tenet, "list-attached-policies", "--target", child_arn)["policies"]) == [f"gc-{uid}"]


def test_deprecated_principal_operations(tenet, uid):
    cert = new_cert(tenet)
    p = f"pp-{uid}"
    aws(tenet, "create-policy", "--policy-name", p, "--policy-document", CONNECT_ANY)
    aws(tenet, "attach-principal-policy", "--policy-name", p, "--principal", cert)
    assert names(aws(tenet, "list-principal-policies", "--principal", cert)["policies"]) == [p]
    assert aws(tenet, "list-policy-principals", "--policy-name", p)["principals"] == [cert]
    aws(tenet, "detach-principal-policy", "--policy-name", p, "--principal", cert)
    assert aws(tenet, "list-principal-policies", "--principal", cert)["policies"] == []


def test_attach_limit_is_limit_exceeded(tenet, uid):
    cert = new_cert(tenet)
    for i in range(11):
        aws(tenet, "create-policy", "--policy-name", f"lim{i}-{uid}", "--policy-document", CONNECT_ANY)
    for i in range(10):
        aws(tenet, "attach-policy", "--policy-name", f"lim{i}-{uid}", "--target", cert)
    assert "LimitExceededException" in aws_error(tenet, "attach-policy", "--policy-name", f"lim10-{uid}",
                                                 "--target", cert)


# -- TestAuthorization ------------------------------------------------------------------------------

def test_authorization_with_the_real_engine(tenet, uid):
    cert = new_cert(tenet)
    head = head_of(cert)
    own, secret, everything = f"own-{uid}", f"secret-{uid}", f"all-{uid}"
    aws(tenet, "create-policy", "--policy-name", own, "--policy-document",
        doc(allow("iot:Publish", head + "topic/devices/${iot:ClientId}/*"), allow("iot:Publish", head + "topic/open/*")))
    aws(tenet, "create-policy", "--policy-name", secret, "--policy-document",
        doc(deny("iot:Publish", head + "topic/open/secret")))
    aws(tenet, "create-policy", "--policy-name", everything, "--policy-document", doc(allow("iot:*", "*")))
    aws(tenet, "attach-policy", "--policy-name", own, "--target", cert)
    aws(tenet, "attach-policy", "--policy-name", secret, "--target", cert)

    def publish(topic: str) -> dict:
        return {"actionType": "PUBLISH", "resources": [head + "topic/" + topic]}

    res = aws(tenet, "test-authorization", "--principal", cert, "--client-id", "dev-1", "--auth-infos",
              json.dumps([publish("devices/dev-1/x"), publish("open/secret"), publish("devices/dev-2/x")]))["authResults"]
    assert [r["authDecision"] for r in res] == ["ALLOWED", "EXPLICIT_DENY", "IMPLICIT_DENY"]
    assert names(res[0]["allowed"]["policies"]) == [own]
    assert names(res[1]["denied"]["explicitDeny"]["policies"]) == [secret]
    assert own in names(res[2]["denied"]["implicitDeny"]["policies"])

    skipped = aws(tenet, "test-authorization", "--principal", cert, "--client-id", "dev-1",
                  "--policy-names-to-skip", secret, "--auth-infos", json.dumps([publish("open/secret")]))["authResults"]
    assert skipped[0]["authDecision"] == "ALLOWED"
    added = aws(tenet, "test-authorization", "--principal", cert, "--client-id", "dev-1",
                "--policy-names-to-add", everything, "--auth-infos", json.dumps([publish("devices/dev-2/x")]))["authResults"]
    assert added[0]["authDecision"] == "ALLOWED"
    assert "ResourceNotFoundException" in aws_error(tenet, "test-authorization", "--policy-names-to-add", f"nope-{uid}",
                                                    "--auth-infos", json.dumps([publish("a")]))
    # A version switch is seen at once.
    aws(tenet, "create-policy-version", "--policy-name", secret, "--set-as-default", "--policy-document",
        doc(deny("iot:Publish", head + "topic/nothing")))
    res = aws(tenet, "test-authorization", "--principal", cert, "--client-id", "dev-1", "--auth-infos",
              json.dumps([publish("open/secret")]))["authResults"]
    assert res[0]["authDecision"] == "ALLOWED"


# -- durability ---------------------------------------------------------------------------------------

def test_restart_keeps_everything(tenet_factory):
    srv = tenet_factory()
    cert = new_cert(srv)
    aws(srv, "create-policy", "--policy-name", "keep", "--policy-document", CONNECT_ANY, "--tags", "Key=k,Value=v")
    aws(srv, "create-policy-version", "--policy-name", "keep", "--set-as-default", "--policy-document",
        doc(allow("iot:Publish", "*")))
    aws(srv, "create-policy-version", "--policy-name", "keep", "--policy-document", CONNECT_ANY)
    aws(srv, "delete-policy-version", "--policy-name", "keep", "--policy-version-id", "3")
    aws(srv, "attach-policy", "--policy-name", "keep", "--target", cert)
    before = aws(srv, "get-policy", "--policy-name", "keep")
    srv.restart()
    after = aws(srv, "get-policy", "--policy-name", "keep")
    assert after == before
    versions = aws(srv, "list-policy-versions", "--policy-name", "keep")["policyVersions"]
    assert [(v["versionId"], v["isDefaultVersion"]) for v in versions] == [("1", False), ("2", True)]
    assert names(aws(srv, "list-attached-policies", "--target", cert)["policies"]) == ["keep"]
    assert aws(srv, "list-tags-for-resource", "--resource-arn", before["policyArn"])["tags"] == [{"Key": "k", "Value": "v"}]
    # Version ids continue after the restart: 3 was used and deleted.
    assert aws(srv, "create-policy-version", "--policy-name", "keep",
               "--policy-document", CONNECT_ANY)["policyVersionId"] == "4"
