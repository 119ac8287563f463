"""boto3's `iot` client: responses and errors parse the way botocore expects from AWS."""

from __future__ import annotations

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from support import aws as A


@pytest.fixture(scope="module")
def iot(tenet):
    return A.boto3_iot(tenet)


def _client_error(fn, **kw) -> ClientError:
    with pytest.raises(ClientError) as ei:
        fn(**kw)
    return ei.value


def _check_error(e: ClientError, status: int, code: str):
    assert e.response["Error"]["Code"] == code, e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status, e.response
    assert e.response["ResponseMetadata"].get("RequestId"), e.response
    assert e.response["Error"]["Message"], e.response


def test_describe_endpoint(tenet, iot):
    for kw in ({}, {"endpointType": "iot:Data-ATS"}, {"endpointType": "iot:Data"}):
        r = iot.describe_endpoint(**kw)
        assert r["endpointAddress"] == f"127.0.0.1:{tenet.port}", kw
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert r["ResponseMetadata"]["RequestId"]


def test_request_ids_unique(iot):
    ids = {iot.describe_endpoint()["ResponseMetadata"]["RequestId"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("etype", ["iot:Jobs", "iot:CredentialProvider", "nonsense"])
def test_describe_endpoint_errors(iot, etype):
    e = _client_error(iot.describe_endpoint, endpointType=etype)
    _check_error(e, 400, "InvalidRequestException")
    assert etype in e.response["Error"]["Message"]


def test_tag_operations(tenet, iot):
    arn = f"arn:aws:iot:{A.server_region(tenet)}:000000000000:thing/boto"
    e = _client_error(iot.list_tags_for_resource, resourceArn=arn)
    _check_error(e, 400, "InvalidRequestException")
    assert 'resources of type "thing" cannot be tagged' in e.response["Error"]["Message"]
    e = _client_error(iot.tag_resource, resourceArn=arn, tags=[{"Key": "a", "Value": "b"}])
    _check_error(e, 400, "InvalidRequestException")
    e = _client_error(iot.untag_resource, resourceArn=arn, tagKeys=["a"])
    _check_error(e, 400, "InvalidRequestException")
    e = _client_error(iot.list_tags_for_resource, resourceArn="not-an-arn")
    _check_error(e, 400, "InvalidRequestException")
    e = _client_error(iot.tag_resource, resourceArn="not-an-arn", tags=[{"Key": "a", "Value": "b"}])
    _check_error(e, 400, "InvalidRequestException")


def test_unknown_operation(iot):
    e = _client_error(iot.list_topic_rules)
    _check_error(e, 404, "UnknownOperationException")


def test_auth_errors(tenet):
    good = A.admin_credentials(tenet)
    e = _client_error(A.boto3_iot(tenet, Credentials(good.access_key, "x" * 40)).describe_endpoint)
    _check_error(e, 403, "InvalidSignatureException")
    e = _client_error(A.boto3_iot(tenet, Credentials("TNTAUNKNOWNKEY000000", good.secret_key)).describe_endpoint)
    _check_error(e, 403, "UnrecognizedClientException")
    e = _client_error(A.boto3_iot(tenet, region="eu-west-3").describe_endpoint)
    _check_error(e, 403, "InvalidSignatureException")
    assert "eu-west-3" in e.response["Error"]["Message"]


def test_session_from_aws_env(tenet, monkeypatch):
    """A plain boto3.Session() picks up the server's files through the aws_env() variables."""
    import boto3
    for k, v in tenet.aws_env().items():
        if k.startswith("AWS_"):
            monkeypatch.setenv(k, v)
    import os
    for k in [k for k in os.environ if k.startswith("AWS_") and k not in tenet.aws_env()]:
        monkeypatch.delenv(k)
    client = boto3.session.Session().client("iot", endpoint_url=tenet.control_url, verify=tenet.ca_path)
    assert client.describe_endpoint()["endpointAddress"] == f"127.0.0.1:{tenet.port}"
