"""Certificates and CAs (issue 4, docs/identity.md#certificates-and-cas) against the real server:
every operation through /usr/bin/aws, a few through boto3 with their error codes, tenet's CRL
operations with a SigV4-signed request, CONNECT admission, and a restart.

Test material (CAs, CSRs, verification certificates, CRLs) is made with the `openssl` CLI, never with
tenet.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support import packets as P  # noqa: E402

# Each /usr/bin/aws call starts a Python interpreter (~1 s, more on a loaded machine): these tests
# get a longer bound than the suite default.
pytestmark = pytest.mark.timeout(240)

AWS = "/usr/bin/aws"


# -- helpers -------------------------------------------------------------------------------------

def aws(srv, *args: str, check: bool = True):
    """Runs `aws iot ARGS` against srv; returns parsed JSON (or {}), or (rc, stderr) when check=False."""
    r = subprocess.run([AWS, "iot", *args, "--endpoint-url", srv.control_url, "--output", "json"],
                       env=srv.aws_env(), capture_output=True, text=True, timeout=60)
    if not check:
        return r.returncode, r.stderr
    assert r.returncode == 0, f"aws iot {' '.join(args)} failed: {r.stderr}"
    return json.loads(r.stdout) if r.stdout.strip() else {}


def openssl(*args: str, cwd: Path, input: str | None = None) -> str:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, input=input)
    assert r.returncode == 0, f"openssl {' '.join(args)} failed: {r.stderr}"
    return r.stdout


def cert_id(pem_path: Path | str) -> str:
    der = subprocess.run(["openssl", "x509", "-outform", "DER", "-in", str(pem_path)], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def make_ca(d: Path, name: str, cn: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.pem", "-days", "30", "-subj", f"/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash", cwd=d)
    return d / f"{name}.pem"


def make_leaf(d: Path, ca: str, name: str, cn: str, serial: int) -> tuple[Path, Path]:
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=d)
    openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    (d / "leaf.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                "extendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-set_serial",
            str(serial), "-days", "10", "-out", f"{name}.pem", "-extfile", "leaf.ext", cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


def make_crl(d: Path, ca: str, revoked: list[Path]) -> Path:
    """A CRL of CA `ca` revoking the given certificates (openssl ca with a throwaway database)."""
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text(f"""[ca]
default_ca = c
[c]
database = index.txt
crlnumber = crlnumber
certificate = {ca}.pem
private_key = {ca}.key
default_md = sha256
default_crl_days = 7
crl_extensions = ext
[ext]
authorityKeyIdentifier = keyid:always
""")
    for pem in revoked:
        openssl("ca", "-config", "ca.cnf", "-revoke", str(pem), cwd=d)
    openssl("ca", "-config", "ca.cnf", "-gencrl", "-out", f"{ca}.crl", cwd=d)
    return d / f"{ca}.crl"


def register_ca(srv, d: Path, name: str, *flags: str) -> tuple[str, Path]:
    ca_pem = make_ca(d, name, f"{name} CA")
    code = aws(srv, "get-registration-code")["registrationCode"]
    ver, _ = make_leaf(d, name, f"{name}-verification", code, 99)
    out = aws(srv, "register-ca-certificate", "--ca-certificate", f"file://{ca_pem}",
              "--verification-certificate", f"file://{ver}", *flags)
    assert out["certificateId"] == cert_id(ca_pem)
    return out["certificateId"], ca_pem


def boto3_client(srv):
    import boto3
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    sec = cp["default"]
    return boto3.session.Session(
        aws_access_key_id=sec["aws_access_key_id"], aws_secret_access_key=sec["aws_secret_access_key"],
        region_name=sec.get("region", "us-east-1")).client("iot", endpoint_url=srv.control_url, verify=srv.ca_path)


def signed(srv, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
    """A SigV4-signed request to a tenet-only route (botocore signer, urllib transport)."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    cp = configparser.ConfigParser()
    cp.read(srv.credentials_path)
    sec = cp["default"]
    req = AWSRequest(method=method, url=srv.control_url + path, data=body)
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


def try_connect(srv, cert: Path, key: Path, client_id: str) -> int:
    """CONNACK return code for an MQTT 3.1.1 CONNECT with this certificate (5 = not authorized)."""
    c = srv.open(srv.tls_context(cert_files=(str(cert), str(key))), label=client_id)
    c.send(P.connect(client_id))
    ack = P.parse_connack(c.expect_type(P.CONNACK), False)
    c.close()
    return ack.code


# -- tests ---------------------------------------------------------------------------------------

def test_create_keys_and_certificate_and_describe(tenet, tmp_path):
    files = {k: tmp_path / f"{k}.pem" for k in ("cert", "pub", "key")}
    out = aws(tenet, "create-keys-and-certificate", "--set-as-active", "--certificate-pem-outfile", str(files["cert"]),
              "--public-key-outfile", str(files["pub"]), "--private-key-outfile", str(files["key"]))
    cid = out["certificateId"]
    assert cid == cert_id(files["cert"])
    assert out["certificateArn"].endswith(f":cert/{cid}") and out["certificateArn"].startswith("arn:aws:iot:")
    assert "PRIVATE KEY" in files["key"].read_text() and "PUBLIC KEY" in files["pub"].read_text()
    key_text = openssl("pkey", "-in", str(files["key"]), "-noout", "-text", cwd=tmp_path)
    assert "prime256v1" in key_text or "P-256" in key_text, "EC P-256 by default"
    d = aws(tenet, "describe-certificate", "--certificate-id", cid)["certificateDescription"]
    assert d["status"] == "ACTIVE"
    assert d["caCertificateId"] == cert_id(tenet.ca_path), "issued by the built-in CA"
    assert d["ownedBy"] == "000000000000"
    assert d["certificateMode"] == "DEFAULT"
    assert d["customerVersion"] == 1 and d["generationId"]
    assert d["certificatePem"].strip() == files["cert"].read_text().strip()
    for k in ("creationDate", "lastModifiedDate"):  # epoch seconds on the wire; awscli prints ISO 8601
        assert str(d[k]).startswith("20"), d[k]
    assert d["validity"]["notBefore"] < d["validity"]["notAfter"]
    # The built-in CA is registered, ACTIVE.
    ca = aws(tenet, "describe-ca-certificate", "--certificate-id", d["caCertificateId"])["certificateDescription"]
    assert ca["status"] == "ACTIVE"
    # The active certificate connects; once INACTIVE it is refused (CONNACK 5).
    assert try_connect(tenet, files["cert"], files["key"], "ckc-1") == 0
    aws(tenet, "update-certificate", "--certificate-id", cid, "--new-status", "INACTIVE")
    assert try_connect(tenet, files["cert"], files["key"], "ckc-2") == 5


def test_create_certificate_from_csr_and_weak_keys(tenet, tmp_path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "dev.key", cwd=tmp_path)
    openssl("req", "-new", "-key", "dev.key", "-out", "dev.csr", "-subj", "/CN=csr-device", cwd=tmp_path)
    out = aws(tenet, "create-certificate-from-csr", "--certificate-signing-request", f"file://{tmp_path}/dev.csr",
              "--set-as-active")
    (tmp_path / "dev.pem").write_text(out["certificatePem"])
    assert out["certificateId"] == cert_id(tmp_path / "dev.pem")
    subject = openssl("x509", "-in", "dev.pem", "-noout", "-subject", cwd=tmp_path)
    assert "csr-device" in subject
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key", cwd=tmp_path)
    openssl("req", "-new", "-key", "weak.key", "-out", "weak.csr", "-subj", "/CN=weak", cwd=tmp_path)
    rc, err = aws(tenet, "create-certificate-from-csr", "--certificate-signing-request",
                  f"file://{tmp_path}/weak.csr", check=False)
    assert rc != 0 and "InvalidRequestException" in err and "2048" in err, err


def test_customer_ca_register_certificates_and_delete_rules(tenet, tmp_path):
    ca_id, ca_pem = register_ca(tenet, tmp_path, "acme", "--set-as-active")
    d = aws(tenet, "describe-ca-certificate", "--certificate-id", ca_id)["certificateDescription"]
    assert d["status"] == "ACTIVE" and d["autoRegistrationStatus"] == "DISABLE"
    assert d["certificateArn"].endswith(f":cacert/{ca_id}")
    listed = aws(tenet, "list-ca-certificates")["certificates"]
    assert ca_id in {c["certificateId"] for c in listed}
    # Proof of possession: a verification certificate with the wrong CN is refused.
    other = make_ca(tmp_path / "o", "other", "other CA")
    bad_ver, _ = make_leaf(tmp_path / "o", "other", "bad-verification", "not-the-code", 5)
    rc, err = aws(tenet, "register-ca-certificate", "--ca-certificate", f"file://{other}",
                  "--verification-certificate", f"file://{bad_ver}", check=False)
    assert rc != 0 and "RegistrationCodeValidationException" in err, err
    rc, err = aws(tenet, "register-ca-certificate", "--ca-certificate", f"file://{ca_pem}",
                  "--verification-certificate", f"file://{bad_ver}", check=False)
    assert rc != 0 and "ResourceAlreadyExists" in err or "RegistrationCode" in err, err

    # Device certificates of the CA: with and without caCertificatePem.
    dev1, key1 = make_leaf(tmp_path, "acme", "dev1", "dev1", 11)
    dev2, _ = make_leaf(tmp_path, "acme", "dev2", "dev2", 12)
    r1 = aws(tenet, "register-certificate", "--certificate-pem", f"file://{dev1}", "--ca-certificate-pem",
             f"file://{ca_pem}", "--set-as-active")
    r2 = aws(tenet, "register-certificate", "--certificate-pem", f"file://{dev2}", "--status", "INACTIVE")
    assert r1["certificateId"] == cert_id(dev1) and r2["certificateId"] == cert_id(dev2)
    rc, err = aws(tenet, "register-certificate", "--certificate-pem", f"file://{dev1}", check=False)
    assert rc != 0 and "ResourceAlreadyExistsException" in err, err
    d1 = aws(tenet, "describe-certificate", "--certificate-id", r1["certificateId"])["certificateDescription"]
    assert d1["caCertificateId"] == ca_id and d1["status"] == "ACTIVE"
    by_ca = aws(tenet, "list-certificates-by-ca", "--ca-certificate-id", ca_id)["certificates"]
    assert {c["certificateId"] for c in by_ca} == {r1["certificateId"], r2["certificateId"]}
    assert try_connect(tenet, dev1, key1, "acme-dev1") == 0

    # A certificate from an unregistered CA: RegisterCertificate refuses, ...WithoutCA accepts.
    stray, stray_key = make_leaf(tmp_path / "o", "other", "stray", "stray", 6)
    rc, err = aws(tenet, "register-certificate", "--certificate-pem", f"file://{stray}", check=False)
    assert rc != 0 and "CertificateValidationException" in err, err
    r3 = aws(tenet, "register-certificate-without-ca", "--certificate-pem", f"file://{stray}", "--status", "ACTIVE")
    d3 = aws(tenet, "describe-certificate", "--certificate-id", r3["certificateId"])["certificateDescription"]
    assert "caCertificateId" not in d3 and d3["status"] == "ACTIVE"

    # CA lifecycle: INACTIVE refuses its devices; delete needs INACTIVE and no certificates left.
    rc, err = aws(tenet, "delete-ca-certificate", "--certificate-id", ca_id, check=False)
    assert rc != 0 and "CertificateStateException" in err, err
    aws(tenet, "update-ca-certificate", "--certificate-id", ca_id, "--new-status", "INACTIVE",
        "--new-auto-registration-status", "ENABLE")
    d = aws(tenet, "describe-ca-certificate", "--certificate-id", ca_id)["certificateDescription"]
    assert d["status"] == "INACTIVE" and d["autoRegistrationStatus"] == "ENABLE" and d["customerVersion"] == 2
    assert try_connect(tenet, dev1, key1, "acme-dev1b") == 5
    rc, err = aws(tenet, "delete-ca-certificate", "--certificate-id", ca_id, check=False)
    assert rc != 0 and "CertificateStateException" in err and "registered certificate" in err, err
    for r in (r1, r2):
        aws(tenet, "update-certificate", "--certificate-id", r["certificateId"], "--new-status", "INACTIVE")
        aws(tenet, "delete-certificate", "--certificate-id", r["certificateId"])
    aws(tenet, "delete-ca-certificate", "--certificate-id", ca_id)
    rc, err = aws(tenet, "describe-ca-certificate", "--certificate-id", ca_id, check=False)
    assert rc != 0 and "ResourceNotFoundException" in err, err
    # The built-in CA can be neither deactivated nor deleted.
    builtin = cert_id(tenet.ca_path)
    rc, err = aws(tenet, "update-ca-certificate", "--certificate-id", builtin, "--new-status", "INACTIVE", check=False)
    assert rc != 0 and "InvalidRequestException" in err, err
    rc, err = aws(tenet, "delete-ca-certificate", "--certificate-id", builtin, check=False)
    assert rc != 0 and "CertificateStateException" in err, err


def test_update_and_delete_certificate_rules(tenet):
    cid = aws(tenet, "create-keys-and-certificate", "--set-as-active")["certificateId"]
    rc, err = aws(tenet, "delete-certificate", "--certificate-id", cid, check=False)
    assert rc != 0 and "CertificateStateException" in err, err
    rc, err = aws(tenet, "update-certificate", "--certificate-id", cid, "--new-status", "PENDING_ACTIVATION",
                  check=False)
    assert rc != 0 and "InvalidRequestException" in err, err
    aws(tenet, "update-certificate", "--certificate-id", cid, "--new-status", "REVOKED")
    rc, err = aws(tenet, "update-certificate", "--certificate-id", cid, "--new-status", "ACTIVE", check=False)
    assert rc != 0 and "CertificateStateException" in err, err
    d = aws(tenet, "describe-certificate", "--certificate-id", cid)["certificateDescription"]
    assert d["status"] == "REVOKED" and d["customerVersion"] == 2
    aws(tenet, "delete-certificate", "--certificate-id", cid)
    rc, err = aws(tenet, "describe-certificate", "--certificate-id", cid, check=False)
    assert rc != 0 and "ResourceNotFoundException" in err, err


def test_list_certificates_pages(tenet_factory):
    srv = tenet_factory()
    made = [aws(srv, "create-keys-and-certificate")["certificateId"] for _ in range(5)]
    # The model's pageSize shadows awscli's own --page-size, so awscli makes one call per page and
    # prints nextMarker: follow it with --marker. Every certificate comes back once.
    listed, marker, pages = [], None, 0
    while True:
        page = aws(srv, "list-certificates", "--page-size", "2", *(["--marker", marker] if marker else []))
        pages += 1
        listed += page["certificates"]
        marker = page.get("nextMarker")
        if not marker:
            break
    assert pages == 3
    assert sorted(c["certificateId"] for c in listed) == sorted(made)
    assert all(c["status"] == "INACTIVE" and c["certificateMode"] == "DEFAULT" for c in listed)
    iot = boto3_client(srv)
    seen, marker, pages = [], None, 0
    while True:
        kw = {"pageSize": 2, "ascendingOrder": True}
        if marker:
            kw["marker"] = marker
        page = iot.list_certificates(**kw)
        pages += 1
        seen += [c["certificateId"] for c in page["certificates"]]
        marker = page.get("nextMarker")
        if not marker:
            break
    assert pages == 3 and seen == made, "ascending by creation date"
    desc = [c["certificateId"] for c in iot.list_certificates(pageSize=250)["certificates"]]
    assert desc == made[::-1], "descending by default"


def test_boto3_error_codes(tenet):
    iot = boto3_client(tenet)
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        iot.describe_certificate(certificateId="ab" * 32)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    out = iot.create_keys_and_certificate(setAsActive=True)
    assert set(out["keyPair"]) == {"PublicKey", "PrivateKey"}
    with pytest.raises(ClientError) as e:
        iot.delete_certificate(certificateId=out["certificateId"])
    assert e.value.response["Error"]["Code"] == "CertificateStateException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 406
    with pytest.raises(ClientError) as e:
        iot.update_certificate(certificateId=out["certificateId"], newStatus="PENDING_TRANSFER")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    code = iot.get_registration_code()["registrationCode"]
    assert len(code) == 64 and code == iot.get_registration_code()["registrationCode"], "stable"
    d = iot.describe_certificate(certificateId=out["certificateId"])["certificateDescription"]
    assert d["creationDate"].year >= 2024  # a timestamp botocore parses


def test_jitr_and_crl(tenet, tmp_path):
    ca_id, _ = register_ca(tenet, tmp_path, "jitr", "--set-as-active", "--allow-auto-registration")
    dev, key = make_leaf(tmp_path, "jitr", "jdev", "jdev", 21)
    # First attempt: registered PENDING_ACTIVATION and refused.
    assert try_connect(tenet, dev, key, "jitr-1") == 5
    d = aws(tenet, "describe-certificate", "--certificate-id", cert_id(dev))["certificateDescription"]
    assert d["status"] == "PENDING_ACTIVATION" and d["caCertificateId"] == ca_id
    aws(tenet, "update-certificate", "--certificate-id", cert_id(dev), "--new-status", "ACTIVE")
    assert try_connect(tenet, dev, key, "jitr-2") == 0
    # A CRL of the CA revokes it at the next connect; a new CRL replaces it.
    crl = make_crl(tmp_path, "jitr", [dev])
    status, body = signed(tenet, "PUT", f"/tenet/cacertificate/{ca_id}/crl", crl.read_bytes())
    assert status == 200, body
    assert body["revokedCount"] == 1 and body["caCertificateId"] == ca_id and "nextUpdate" in body
    status, body = signed(tenet, "GET", f"/tenet/cacertificate/{ca_id}/crl")
    assert status == 200 and body["revokedCount"] == 1 and "jitr CA" in body["issuer"]
    assert try_connect(tenet, dev, key, "jitr-3") == 5
    # A CRL that this CA did not sign is refused.
    other = make_ca(tmp_path / "x", "x", "x CA")
    assert other.exists()
    bad = make_crl(tmp_path / "x", "x", [])
    status, body = signed(tenet, "PUT", f"/tenet/cacertificate/{ca_id}/crl", bad.read_bytes())
    assert status == 400 and body["__type"] == "CertificateValidationException", body
    status, _ = signed(tenet, "DELETE", f"/tenet/cacertificate/{ca_id}/crl")
    assert status == 200
    assert try_connect(tenet, dev, key, "jitr-4") == 0
    status, body = signed(tenet, "GET", f"/tenet/cacertificate/{ca_id}/crl")
    assert status == 404


def test_restart_keeps_everything(tenet_factory, tmp_path):
    srv = tenet_factory()
    ca_id, _ = register_ca(srv, tmp_path, "keep", "--set-as-active")
    files = {k: tmp_path / f"{k}.pem" for k in ("cert", "key")}
    cid = aws(srv, "create-keys-and-certificate", "--set-as-active", "--certificate-pem-outfile", str(files["cert"]),
              "--private-key-outfile", str(files["key"]))["certificateId"]
    dev, _ = make_leaf(tmp_path, "keep", "kdev", "kdev", 31)
    did = aws(srv, "register-certificate", "--certificate-pem", f"file://{dev}", "--status", "REVOKED")["certificateId"]
    crl = make_crl(tmp_path, "keep", [dev])
    assert signed(srv, "PUT", f"/tenet/cacertificate/{ca_id}/crl", crl.read_bytes())[0] == 200
    code = aws(srv, "get-registration-code")["registrationCode"]
    before = aws(srv, "describe-certificate", "--certificate-id", cid)["certificateDescription"]
    srv.restart()
    after = aws(srv, "describe-certificate", "--certificate-id", cid)["certificateDescription"]
    assert after == before
    assert aws(srv, "describe-certificate", "--certificate-id", did)["certificateDescription"]["status"] == "REVOKED"
    assert aws(srv, "describe-ca-certificate", "--certificate-id", ca_id)["certificateDescription"]["status"] == "ACTIVE"
    assert aws(srv, "get-registration-code")["registrationCode"] == code
    status, body = signed(srv, "GET", f"/tenet/cacertificate/{ca_id}/crl")
    assert status == 200 and body["revokedCount"] == 1
    assert try_connect(srv, files["cert"], files["key"], "keep-1") == 0
