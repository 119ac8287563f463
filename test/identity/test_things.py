"""Things, thing types, thing groups, principals and the fleet index (issue 4,
docs/identity.md#things-types-and-groups) against the real server: /usr/bin/aws and boto3 (with the
server's CA and bootstrap credentials, never the ambient AWS_* environment), the AWS error codes,
dynamic groups following update-thing, SearchIndex, pagination and a restart.
"""

from __future__ import annotations

import configparser
import json
import ssl
import subprocess

import pytest
from botocore.exceptions import ClientError

# Each /usr/bin/aws call starts a Python interpreter (~1 s, more on a loaded machine): these tests
# get a longer bound than the suite default.
pytestmark = pytest.mark.timeout(240)

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


def boto3_client(srv):
    import boto3
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    sec = cp["default"]
    return boto3.session.Session(
        aws_access_key_id=sec["aws_access_key_id"], aws_secret_access_key=sec["aws_secret_access_key"],
        region_name=sec.get("region", "us-east-1")).client("iot", endpoint_url=srv.control_url, verify=srv.ca_path)


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def signed(srv, method: str, path: str, headers: dict | None = None, body: bytes = b"") -> tuple[int, dict]:
    """A SigV4-signed request for what this botocore model lacks (AttachThingPrincipal's thingPrincipalType)."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    sec = cp["default"]
    req = AWSRequest(method=method, url=srv.control_url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials(sec["aws_access_key_id"], sec["aws_secret_access_key"]), "iot",
              sec.get("region", "us-east-1")).add_auth(req)
    ctx = ssl.create_default_context(cafile=srv.ca_path)
    r = urllib.request.Request(srv.control_url + path, data=body or None, method=method, headers=dict(req.headers))
    try:
        with urllib.request.urlopen(r, context=ctx, timeout=30) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text.strip() else {}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def new_cert_arn(iot) -> str:
    return iot.create_keys_and_certificate(setAsActive=False)["certificateArn"]


# -- things --------------------------------------------------------------------------------------

def test_thing_crud_with_cli(tenet, uid):
    name = f"{uid}-pump"
    out = aws(tenet, "create-thing", "--thing-name", name, "--attribute-payload",
              '{"attributes":{"model":"x1","fw":"12"}}')
    assert out["thingName"] == name
    assert out["thingArn"] == f"arn:aws:iot:us-east-1:000000000000:thing/{name}"
    assert len(out["thingId"]) == 36
    again = aws(tenet, "create-thing", "--thing-name", name, "--attribute-payload",
                '{"attributes":{"model":"x1","fw":"12"}}')
    assert again["thingId"] == out["thingId"], "an identical re-create succeeds"
    assert "ResourceAlreadyExistsException" in aws_error(tenet, "create-thing", "--thing-name", name)

    d = aws(tenet, "describe-thing", "--thing-name", name)
    assert d["attributes"] == {"model": "x1", "fw": "12"}
    assert d["version"] == 1 and d["defaultClientId"] == name and d["thingId"] == out["thingId"]

    aws(tenet, "update-thing", "--thing-name", name, "--expected-version", "1", "--attribute-payload",
        '{"attributes":{"fw":"","loc":"hall"},"merge":true}')
    d = aws(tenet, "describe-thing", "--thing-name", name)
    assert d["attributes"] == {"model": "x1", "loc": "hall"} and d["version"] == 2
    assert "VersionConflictException" in aws_error(tenet, "update-thing", "--thing-name", name,
                                                   "--expected-version", "1", "--attribute-payload",
                                                   '{"attributes":{"a":"b"}}')
    aws(tenet, "update-thing", "--thing-name", name, "--attribute-payload", '{"attributes":{"only":"this"}}')
    assert aws(tenet, "describe-thing", "--thing-name", name)["attributes"] == {"only": "this"}

    assert "VersionConflictException" in aws_error(tenet, "delete-thing", "--thing-name", name,
                                                   "--expected-version", "1")
    aws(tenet, "delete-thing", "--thing-name", name, "--expected-version", "3")
    assert "ResourceNotFoundException" in aws_error(tenet, "describe-thing", "--thing-name", name)
    aws(tenet, "delete-thing", "--thing-name", name)  # AWS: deleting a missing thing succeeds
    assert "InvalidRequestException" in aws_error(tenet, "create-thing", "--thing-name", "bad/name")


def test_thing_types_and_deprecation(tenet, uid):
    iot = boto3_client(tenet)
    t = f"{uid}-sensor"
    out = iot.create_thing_type(thingTypeName=t, thingTypeProperties={
        "thingTypeDescription": "a sensor", "searchableAttributes": ["model"]}, tags=[{"Key": "env", "Value": "lab"}])
    assert out["thingTypeArn"].endswith(f":thingtype/{t}")
    assert iot.list_tags_for_resource(resourceArn=out["thingTypeArn"])["tags"] == [{"Key": "env", "Value": "lab"}]
    d = iot.describe_thing_type(thingTypeName=t)
    assert d["thingTypeId"] == out["thingTypeId"]
    assert d["thingTypeProperties"]["searchableAttributes"] == ["model"]
    assert d["thingTypeMetadata"]["deprecated"] is False
    assert [x["thingTypeName"] for x in iot.list_thing_types(thingTypeName=t)["thingTypes"]] == [t]
    assert code_of(iot.create_thing_type, thingTypeName=t,
                   thingTypeProperties={"thingTypeDescription": "different"}) == "ResourceAlreadyExistsException"

    iot.create_thing(thingName=f"{uid}-s1", thingTypeName=t)
    assert code_of(iot.create_thing, thingName=f"{uid}-s2", thingTypeName=f"{uid}-nope") == "ResourceNotFoundException"
    assert code_of(iot.delete_thing_type, thingTypeName=t) == "InvalidRequestException"  # not deprecated
    aws(tenet, "deprecate-thing-type", "--thing-type-name", t)
    assert iot.describe_thing_type(thingTypeName=t)["thingTypeMetadata"]["deprecated"] is True
    assert code_of(iot.create_thing, thingName=f"{uid}-s2", thingTypeName=t) == "InvalidRequestException"
    assert code_of(iot.delete_thing_type, thingTypeName=t) == "InvalidRequestException"  # still used
    aws(tenet, "deprecate-thing-type", "--thing-type-name", t, "--undo-deprecate")
    iot.create_thing(thingName=f"{uid}-s2", thingTypeName=t)
    assert [x["thingName"] for x in iot.list_things(thingTypeName=t)["things"]] == [f"{uid}-s1", f"{uid}-s2"]
    iot.deprecate_thing_type(thingTypeName=t)
    for n in (f"{uid}-s1", f"{uid}-s2"):
        iot.update_thing(thingName=n, removeThingType=True)
    aws(tenet, "delete-thing-type", "--thing-type-name", t)
    assert code_of(iot.describe_thing_type, thingTypeName=t) == "ResourceNotFoundException"


# -- groups --------------------------------------------------------------------------------------

def test_static_groups_hierarchy_and_membership(tenet, uid):
    iot = boto3_client(tenet)
    root, mid, leaf = f"{uid}-root", f"{uid}-mid", f"{uid}-leaf"
    r = aws(tenet, "create-thing-group", "--thing-group-name", root, "--thing-group-properties",
            '{"thingGroupDescription":"top","attributePayload":{"attributes":{"site":"a"}}}',
            "--tags", "Key=team,Value=ops")
    assert r["thingGroupArn"].endswith(f":thinggroup/{root}")
    assert iot.list_tags_for_resource(resourceArn=r["thingGroupArn"])["tags"] == [{"Key": "team", "Value": "ops"}]
    iot.create_thing_group(thingGroupName=mid, parentGroupName=root)
    iot.create_thing_group(thingGroupName=leaf, parentGroupName=mid)
    assert iot.create_thing_group(thingGroupName=leaf, parentGroupName=mid)["thingGroupName"] == leaf  # identical
    assert code_of(iot.create_thing_group, thingGroupName=leaf) == "ResourceAlreadyExistsException"
    assert code_of(iot.create_thing_group, thingGroupName=f"{uid}-x",
                   parentGroupName=f"{uid}-nope") == "InvalidRequestException"

    d = iot.describe_thing_group(thingGroupName=leaf)
    assert d["thingGroupMetadata"]["parentGroupName"] == mid
    assert [g["groupName"] for g in d["thingGroupMetadata"]["rootToParentThingGroups"]] == [root, mid]
    assert d["version"] == 1 and "status" not in d

    for n in ("a", "b", "c"):
        iot.create_thing(thingName=f"{uid}-{n}")
    aws(tenet, "add-thing-to-thing-group", "--thing-group-name", root, "--thing-name", f"{uid}-a")
    iot.add_thing_to_thing_group(thingGroupName=mid, thingName=f"{uid}-b")
    iot.add_thing_to_thing_group(thingGroupArn=d["thingGroupArn"], thingArn=iot.describe_thing(
        thingName=f"{uid}-c")["thingArn"])
    assert code_of(iot.add_thing_to_thing_group, thingGroupName=root,
                   thingName=f"{uid}-zz") == "ResourceNotFoundException"

    assert iot.list_things_in_thing_group(thingGroupName=root)["things"] == [f"{uid}-a"]
    assert aws(tenet, "list-things-in-thing-group", "--thing-group-name", root, "--recursive")["things"] == [
        f"{uid}-a", f"{uid}-b", f"{uid}-c"]
    children = iot.list_thing_groups(parentGroup=root)["thingGroups"]
    assert [g["groupName"] for g in children] == [mid]
    desc = iot.list_thing_groups(parentGroup=root, recursive=True)["thingGroups"]
    assert [g["groupName"] for g in desc] == [leaf, mid]
    assert [g["groupName"] for g in iot.list_thing_groups(namePrefixFilter=f"{uid}-")["thingGroups"]] == [
        leaf, mid, root]
    roots = aws(tenet, "list-thing-groups", "--name-prefix-filter", f"{uid}-", "--no-recursive")["thingGroups"]
    assert [g["groupName"] for g in roots] == [root]

    iot.update_thing_groups_for_thing(thingName=f"{uid}-a", thingGroupsToAdd=[leaf], thingGroupsToRemove=[root])
    assert [g["groupName"] for g in iot.list_thing_groups_for_thing(thingName=f"{uid}-a")["thingGroups"]] == [leaf]
    aws(tenet, "remove-thing-from-thing-group", "--thing-group-name", leaf, "--thing-name", f"{uid}-a")
    assert iot.list_thing_groups_for_thing(thingName=f"{uid}-a")["thingGroups"] == []

    v = iot.update_thing_group(thingGroupName=root, thingGroupProperties={"thingGroupDescription": "new"},
                               expectedVersion=1)["version"]
    assert v == 2
    assert code_of(iot.update_thing_group, thingGroupName=root, thingGroupProperties={"thingGroupDescription": "x"},
                   expectedVersion=1) == "VersionConflictException"
    assert iot.describe_thing_group(thingGroupName=root)["thingGroupProperties"]["thingGroupDescription"] == "new"

    assert code_of(iot.delete_thing_group, thingGroupName=mid) == "InvalidRequestException"  # has a child
    iot.delete_thing_group(thingGroupName=leaf)
    assert code_of(iot.delete_thing_group, thingGroupName=mid, expectedVersion=9) == "VersionConflictException"
    aws(tenet, "delete-thing-group", "--thing-group-name", mid)
    assert code_of(iot.describe_thing_group, thingGroupName=mid) == "ResourceNotFoundException"
    iot.delete_thing_group(thingGroupName=mid)  # missing: succeeds


def test_group_depth_limit(tenet, uid):
    iot = boto3_client(tenet)
    parent = None
    for i in range(1, 8):
        kw = {"parentGroupName": parent} if parent else {}
        iot.create_thing_group(thingGroupName=f"{uid}-d{i}", **kw)
        parent = f"{uid}-d{i}"
    assert code_of(iot.create_thing_group, thingGroupName=f"{uid}-d8",
                   parentGroupName=parent) == "InvalidRequestException"


def test_dynamic_group_follows_update_thing(tenet, uid):
    iot = boto3_client(tenet)
    g = f"{uid}-x1s"
    iot.create_thing(thingName=f"{uid}-t1", attributePayload={"attributes": {"model": "x1"}})
    iot.create_thing(thingName=f"{uid}-t2", attributePayload={"attributes": {"model": "x2"}})
    out = aws(tenet, "create-dynamic-thing-group", "--thing-group-name", g, "--query-string",
              f"attributes.model:x1 AND thingName:{uid}-*")
    assert out["queryString"] == f"attributes.model:x1 AND thingName:{uid}-*"
    assert out["indexName"] == "AWS_Things"
    d = iot.describe_thing_group(thingGroupName=g)
    assert d["status"] == "ACTIVE" and d["queryString"] == out["queryString"]
    assert iot.list_things_in_thing_group(thingGroupName=g)["things"] == [f"{uid}-t1"]

    aws(tenet, "update-thing", "--thing-name", f"{uid}-t2", "--attribute-payload",
        '{"attributes":{"model":"x1"},"merge":true}')
    assert iot.list_things_in_thing_group(thingGroupName=g)["things"] == [f"{uid}-t1", f"{uid}-t2"]
    iot.update_thing(thingName=f"{uid}-t1", attributePayload={"attributes": {"model": ""}, "merge": True})
    assert iot.list_things_in_thing_group(thingGroupName=g)["things"] == [f"{uid}-t2"]
    assert [x["groupName"] for x in iot.list_thing_groups_for_thing(thingName=f"{uid}-t2")["thingGroups"]] == [g]

    assert code_of(iot.add_thing_to_thing_group, thingGroupName=g,
                   thingName=f"{uid}-t1") == "InvalidRequestException"
    assert code_of(iot.create_dynamic_thing_group, thingGroupName=f"{uid}-bad",
                   queryString="attributes.model:(") == "InvalidQueryException"
    assert code_of(iot.update_dynamic_thing_group, thingGroupName=g, thingGroupProperties={},
                   queryString="thingName:(") == "InvalidQueryException"
    v = iot.update_dynamic_thing_group(thingGroupName=g, thingGroupProperties={"thingGroupDescription": "t1 only"},
                                       queryString=f"thingName:{uid}-t1", expectedVersion=1)["version"]
    assert v == 2
    assert iot.list_things_in_thing_group(thingGroupName=g)["things"] == [f"{uid}-t1"]
    assert code_of(iot.create_thing_group, thingGroupName=f"{uid}-kid", parentGroupName=g) == "InvalidRequestException"
    assert code_of(iot.delete_thing_group, thingGroupName=g) == "InvalidRequestException"  # use the dynamic delete
    aws(tenet, "delete-dynamic-thing-group", "--thing-group-name", g)
    assert code_of(iot.describe_thing_group, thingGroupName=g) == "ResourceNotFoundException"


# -- principals ----------------------------------------------------------------------------------

def test_thing_principals(tenet, uid):
    iot = boto3_client(tenet)
    cert = new_cert_arn(iot)
    other = new_cert_arn(iot)
    for n in ("a", "b", "x"):
        iot.create_thing(thingName=f"{uid}-{n}")
    aws(tenet, "attach-thing-principal", "--thing-name", f"{uid}-a", "--principal", cert)
    iot.attach_thing_principal(thingName=f"{uid}-b", principal=cert)
    assert aws(tenet, "list-thing-principals", "--thing-name", f"{uid}-a")["principals"] == [cert]
    assert iot.list_principal_things(principal=cert)["things"] == [f"{uid}-a", f"{uid}-b"]
    assert code_of(iot.attach_thing_principal, thingName=f"{uid}-zz", principal=cert) == "ResourceNotFoundException"
    fake = "arn:aws:iot:us-east-1:000000000000:cert/" + "ab" * 32
    assert code_of(iot.attach_thing_principal, thingName=f"{uid}-a", principal=fake) == "ResourceNotFoundException"
    assert code_of(iot.list_thing_principals, thingName=f"{uid}-zz") == "ResourceNotFoundException"

    # Exclusive attachment (thingPrincipalType is newer than this botocore model: signed by hand).
    path = f"/things/{uid}-x/principals?thingPrincipalType=EXCLUSIVE_THING"
    st, body = signed(tenet, "PUT", path, {"x-amzn-principal": cert})
    assert st == 400 and body["__type"] == "InvalidRequestException", "cert is attached to other things"
    st, body = signed(tenet, "PUT", path, {"x-amzn-principal": other})
    assert st == 200, body
    assert code_of(iot.attach_thing_principal, thingName=f"{uid}-a", principal=other) == "InvalidRequestException"

    # A certificate with things attached cannot be deleted (the certificate registry asks us).
    cert_id = cert.rsplit("/", 1)[1]
    assert code_of(iot.delete_certificate, certificateId=cert_id) == "DeleteConflictException"
    assert code_of(iot.delete_thing, thingName=f"{uid}-a") == "InvalidRequestException"  # principals attached
    aws(tenet, "detach-thing-principal", "--thing-name", f"{uid}-a", "--principal", cert)
    iot.detach_thing_principal(thingName=f"{uid}-b", principal=cert)
    assert iot.list_principal_things(principal=cert)["things"] == []
    iot.delete_certificate(certificateId=cert_id)
    iot.delete_thing(thingName=f"{uid}-a")


# -- fleet index ---------------------------------------------------------------------------------

def test_search_index_and_pagination(tenet, uid):
    iot = boto3_client(tenet)
    for i in range(5):
        iot.create_thing(thingName=f"{uid}-n{i}", attributePayload={"attributes": {"idx": str(i), "kind": "node"}})
    iot.create_thing_group(thingGroupName=f"{uid}-grp")
    iot.add_thing_to_thing_group(thingGroupName=f"{uid}-grp", thingName=f"{uid}-n4")

    r = aws(tenet, "search-index", "--query-string", f"thingName:{uid}-n* AND attributes.idx>2")
    assert sorted(t["thingName"] for t in r["things"]) == [f"{uid}-n3", f"{uid}-n4"]
    doc = next(t for t in r["things"] if t["thingName"] == f"{uid}-n4")
    assert doc["thingGroupNames"] == [f"{uid}-grp"]
    assert doc["attributes"] == {"idx": "4", "kind": "node"}
    assert doc["connectivity"]["connected"] is False
    r = iot.search_index(queryString=f"thingGroupNames:{uid}-grp")
    assert [t["thingName"] for t in r["things"]] == [f"{uid}-n4"]
    assert code_of(iot.search_index, queryString="thingName:(") == "InvalidQueryException"
    assert code_of(iot.search_index, queryString="*", indexName="nope") == "ResourceNotFoundException"
    g = iot.search_index(indexName="AWS_ThingGroups", queryString=f"thingGroupName:{uid}-*")
    assert [x["thingGroupName"] for x in g["thingGroups"]] == [f"{uid}-grp"]

    # SearchIndex pages (nextToken in the body), then ListThings pages through the CLI's own paginator.
    names, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = iot.search_index(queryString=f"attributes.kind:node AND thingName:{uid}-*", maxResults=2, **kw)
        assert len(page["things"]) <= 2
        names += [t["thingName"] for t in page["things"]]
        token = page.get("nextToken")
        if not token:
            break
    assert names == [f"{uid}-n{i}" for i in range(5)]
    page = iot.list_things(attributeName="kind", attributeValue="node", maxResults=2)
    assert len(page["things"]) == 2 and "nextToken" in page
    all_things = aws(tenet, "list-things", "--attribute-name", "kind", "--attribute-value", "node",
                     "--page-size", "2")["things"]
    assert [t["thingName"] for t in all_things if t["thingName"].startswith(uid)] == [f"{uid}-n{i}" for i in range(5)]
    assert code_of(iot.list_things, nextToken="garbage") == "InvalidRequestException"


def test_indexing_configuration_and_indices(tenet):
    iot = boto3_client(tenet)
    cfg = iot.get_indexing_configuration()
    assert cfg["thingIndexingConfiguration"]["thingIndexingMode"] in ("REGISTRY", "REGISTRY_AND_SHADOW")
    iot.update_indexing_configuration(thingIndexingConfiguration={
        "thingIndexingMode": "REGISTRY_AND_SHADOW", "thingConnectivityIndexingMode": "STATUS"})
    cfg = aws(tenet, "get-indexing-configuration")
    assert cfg["thingIndexingConfiguration"]["thingIndexingMode"] == "REGISTRY_AND_SHADOW"
    assert cfg["thingGroupIndexingConfiguration"]["thingGroupIndexingMode"] == "ON"
    assert set(iot.list_indices()["indexNames"]) == {"AWS_Things", "AWS_ThingGroups"}
    assert iot.describe_index(indexName="AWS_Things")["indexStatus"] == "ACTIVE"
    assert code_of(iot.describe_index, indexName="nope") == "ResourceNotFoundException"


# -- restart -------------------------------------------------------------------------------------

def test_restart_keeps_everything(tenet_factory):
    srv = tenet_factory()
    iot = boto3_client(srv)
    iot.create_thing_type(thingTypeName="meter", thingTypeProperties={"searchableAttributes": ["model"]})
    thing_id = iot.create_thing(thingName="m1", thingTypeName="meter",
                                attributePayload={"attributes": {"model": "x1"}})["thingId"]
    iot.create_thing_group(thingGroupName="site", tags=[{"Key": "k", "Value": "v"}])
    iot.create_thing_group(thingGroupName="room", parentGroupName="site")
    iot.add_thing_to_thing_group(thingGroupName="room", thingName="m1")
    iot.create_dynamic_thing_group(thingGroupName="x1s", queryString="attributes.model:x1")
    cert = new_cert_arn(iot)
    iot.attach_thing_principal(thingName="m1", principal=cert)
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY_AND_SHADOW"})

    srv.restart()
    iot = boto3_client(srv)
    d = iot.describe_thing(thingName="m1")
    assert d["thingId"] == thing_id and d["thingTypeName"] == "meter" and d["attributes"] == {"model": "x1"}
    assert iot.describe_thing_group(thingGroupName="room")["thingGroupMetadata"]["parentGroupName"] == "site"
    assert iot.list_things_in_thing_group(thingGroupName="site", recursive=True)["things"] == ["m1"]
    assert iot.list_things_in_thing_group(thingGroupName="x1s")["things"] == ["m1"]
    assert iot.list_thing_principals(thingName="m1")["principals"] == [cert]
    assert iot.list_tags_for_resource(resourceArn=iot.describe_thing_group(thingGroupName="site")["thingGroupArn"])[
        "tags"] == [{"Key": "k", "Value": "v"}]
    cfg = iot.get_indexing_configuration()
    assert cfg["thingIndexingConfiguration"]["thingIndexingMode"] == "REGISTRY_AND_SHADOW"
    r = iot.search_index(queryString="connectivity.connected:false AND thingName:m1")
    assert [t["thingName"] for t in r["things"]] == ["m1"]
