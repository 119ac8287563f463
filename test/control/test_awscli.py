"""The stock AWS CLI (/usr/bin/aws) against the control plane, with nothing but the files the server
wrote (admin-credentials, aws-config with ca_bundle) in its environment."""

from __future__ import annotations

import json
import subprocess

import pytest

from support import aws as A
from support.server import tenet_bin
from support.timing import wait_until

# Each /usr/bin/aws call starts a Python interpreter (~1 s, more on a loaded machine): these tests
# get a longer bound than the suite default.
pytestmark = pytest.mark.timeout(240)


def _audit_lines(srv) -> list[dict]:
    path = srv.data_dir / "audit.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _endpoint(srv) -> str:
    return f"127.0.0.1:{srv.port}"


@pytest.mark.parametrize("etype", [None, "iot:Data-ATS", "iot:Data"])
def test_describe_endpoint(tenet, etype):
    args = ["iot", "describe-endpoint"] + (["--endpoint-type", etype] if etype else [])
    r = A.aws_cli(tenet, *args)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"endpointAddress": _endpoint(tenet)}


def test_endpoint_url_from_env_only(tenet):
    """Only the env from aws_env(): the CA from AWS_CA_BUNDLE; without it TLS verification fails."""
    env = tenet.aws_env()
    del env["AWS_CA_BUNDLE"]
    env["AWS_CONFIG_FILE"] = "/dev/null"  # also drops ca_bundle from the config file
    r = A.aws_cli(tenet, "iot", "describe-endpoint", "--region", A.server_region(tenet), env=env)
    assert r.returncode != 0
    assert "SSL" in r.stderr or "certificate" in r.stderr.lower(), r.stderr
    # aws-config's ca_bundle alone is enough.
    env = tenet.aws_env()
    del env["AWS_CA_BUNDLE"]
    r = A.aws_cli(tenet, "iot", "describe-endpoint", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["endpointAddress"] == _endpoint(tenet)


@pytest.mark.parametrize("etype", ["iot:Jobs", "iot:CredentialProvider"])
def test_describe_endpoint_not_served(tenet, etype):
    r = A.aws_cli(tenet, "iot", "describe-endpoint", "--endpoint-type", etype)
    assert r.returncode == 254, (r.returncode, r.stderr)
    assert "InvalidRequestException" in r.stderr
    assert "not served" in r.stderr and etype in r.stderr, r.stderr


def test_describe_endpoint_bad_type(tenet):
    r = A.aws_cli(tenet, "iot", "describe-endpoint", "--endpoint-type", "iot:Bogus")
    assert r.returncode == 254, (r.returncode, r.stderr)
    assert "InvalidRequestException" in r.stderr
    assert "iot:Bogus" in r.stderr, r.stderr


def test_wrong_region(tenet):
    r = A.aws_cli(tenet, "iot", "describe-endpoint", "--region", "eu-west-3")
    assert r.returncode == 254, (r.returncode, r.stderr)
    assert "InvalidSignatureException" in r.stderr, r.stderr
    assert "eu-west-3" in r.stderr, r.stderr


def test_list_tags_for_resource(tenet):
    arn = f"arn:aws:iot:{A.server_region(tenet)}:000000000000:thing/t1"
    r = A.aws_cli(tenet, "iot", "list-tags-for-resource", "--resource-arn", arn)
    assert r.returncode == 254, (r.returncode, r.stderr)
    assert "InvalidRequestException" in r.stderr
    assert "cannot be tagged" in r.stderr, r.stderr


def test_tag_and_untag_resource(tenet):
    arn = f"arn:aws:iot:{A.server_region(tenet)}:000000000000:thing/t1"
    r = A.aws_cli(tenet, "iot", "tag-resource", "--resource-arn", arn, "--tags", "Key=k,Value=v")
    assert r.returncode == 254 and "InvalidRequestException" in r.stderr, r.stderr
    r = A.aws_cli(tenet, "iot", "untag-resource", "--resource-arn", arn, "--tag-keys", "k")
    assert r.returncode == 254 and "InvalidRequestException" in r.stderr, r.stderr


def test_unknown_operation(tenet):
    r = A.aws_cli(tenet, "iot", "list-topic-rules")
    assert r.returncode == 254, (r.returncode, r.stderr)
    assert "UnknownOperationException" in r.stderr, r.stderr


def test_audit_log_one_line_per_call(tenet):
    admin = A.admin_credentials(tenet).access_key
    calls = [
        (["iot", "describe-endpoint"], "DescribeEndpoint", "success", 200, None),
        (["iot", "describe-endpoint", "--endpoint-type", "iot:Jobs"], "DescribeEndpoint", "failure", 400,
         "InvalidRequestException"),
        (["iot", "list-tags-for-resource", "--resource-arn", "arn:aws:iot:us-east-1:000000000000:thing/a"],
         "ListTagsForResource", "failure", 400, "InvalidRequestException"),
    ]
    for argv, op, outcome, status, error in calls:
        before = len(_audit_lines(tenet))
        r = A.aws_cli(tenet, *argv)
        assert (r.returncode == 0) == (outcome == "success"), r.stderr
        lines = wait_until(lambda: _audit_lines(tenet)[before:] or None, 5, what="audit line")
        assert len(lines) == 1, lines
        line = lines[0]
        assert line["operation"] == op, line
        assert line["outcome"] == outcome, line
        assert line["status"] == status, line
        assert line["access_key_id"] == admin, line
        assert line["method"] == "GET", line
        assert line["request_id"] and line["source"].startswith("127.0.0.1:"), line
        assert isinstance(line["time_ms"], int) and isinstance(line["latency_us"], int), line
        if error:
            assert line["error"] == error, line
        else:
            assert "error" not in line, line


def test_audit_log_request_id_matches_response(tenet):
    before = len(_audit_lines(tenet))
    resp = A.describe_endpoint(tenet, "iot:Data")
    assert resp.status == 200
    lines = wait_until(lambda: _audit_lines(tenet)[before:] or None, 5, what="audit line")
    assert [l["request_id"] for l in lines] == [resp.headers["x-amzn-requestid"]]
    assert lines[0]["resource"] == "iot:Data"


def test_audit_log_mode(tenet):
    assert (tenet.data_dir / "audit.log").stat().st_mode & 0o077 == 0


def test_region_and_account_flags(tenet_factory):
    srv = tenet_factory(extra_args=["--region", "eu-west-1", "--account-id", "123456789012"])
    assert A.server_region(srv) == "eu-west-1"
    assert "region = eu-west-1" in (srv.data_dir / "aws-config").read_text()
    r = A.aws_cli(srv, "iot", "describe-endpoint")
    assert r.returncode == 0, r.stderr
    A.assert_error(A.describe_endpoint(srv, region="us-east-1"), 403, "InvalidSignatureException", "us-east-1")
    # The account id shows in ARNs the server makes (certificates, when that operation is served).
    ops = {o["operation"] for o in A.ok(A.call(srv, "GET", "/tenet/operations"))["operations"]}
    if "CreateKeysAndCertificate" in ops:
        body = A.ok(A.call(srv, "POST", "/keys-and-certificate", body=b"{}"))
        assert body["certificateArn"].startswith("arn:aws:iot:eu-west-1:123456789012:cert/")


def test_region_from_config(tenet_factory):
    srv = tenet_factory(config={"server": {"region": "ap-south-1"}})
    assert A.server_region(srv) == "ap-south-1"
    r = A.aws_cli(srv, "iot", "describe-endpoint")
    assert r.returncode == 0, r.stderr
    A.assert_error(A.describe_endpoint(srv, region="us-east-1"), 403, "InvalidSignatureException", "us-east-1")


def test_flag_overrides_config_region(tenet_factory):
    srv = tenet_factory(config={"server": {"region": "ap-south-1"}}, extra_args=["--region", "eu-central-1"])
    assert A.server_region(srv) == "eu-central-1"
    assert A.describe_endpoint(srv).status == 200
    A.assert_error(A.describe_endpoint(srv, region="ap-south-1"), 403, "InvalidSignatureException")


@pytest.mark.parametrize("bad", ["123", "12345678901a", "1234567890123"])
def test_bad_account_id_refused(tmp_path, bad):
    r = subprocess.run([tenet_bin(), "server", "--data-dir", str(tmp_path / "d"), "--mqtt-port", "0",
                        "--control-port", "0", "--account-id", bad], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "account" in (r.stdout + r.stderr).lower()
