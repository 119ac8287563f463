"""Certificates the server must refuse, made in the fixture with the `openssl` command line tool
(never with tenet): a foreign CA and its device, a self-signed device, and an expired device
certificate signed by the server's own CA key.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"openssl {' '.join(args)} failed: {r.stderr}"


def _ec_key(cwd: Path, name: str) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=cwd)


def _ca(cwd: Path, name: str, subject: str) -> None:
    _ec_key(cwd, name)
    _openssl("req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", subject,
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=cwd)


CLIENT_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"


def _leaf(cwd: Path, name: str, ca: str, subject: str) -> tuple[str, str]:
    _ec_key(cwd, name)
    _openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=cwd)
    (cwd / "client.ext").write_text(CLIENT_EXT)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-set_serial", "7",
             "-days", "2", "-out", f"{name}.pem", "-extfile", "client.ext", cwd=cwd)
    return str(cwd / f"{name}.pem"), str(cwd / f"{name}.key")


def foreign_device(cwd: Path, ca_subject: str = "/CN=foreign CA") -> tuple[str, str]:
    """A device certificate from a CA the server has never seen (optionally with a look-alike name)."""
    cwd.mkdir(parents=True, exist_ok=True)
    tag = "lookalike" if "tenet" in ca_subject else "foreign"
    _ca(cwd, f"{tag}-ca", ca_subject)
    return _leaf(cwd, f"{tag}-device", f"{tag}-ca", "/CN=intruder")


def self_signed_device(cwd: Path) -> tuple[str, str]:
    cwd.mkdir(parents=True, exist_ok=True)
    _ec_key(cwd, "selfsigned")
    _openssl("req", "-x509", "-new", "-key", "selfsigned.key", "-out", "selfsigned.pem", "-days", "2",
             "-subj", "/CN=selfsigned", "-addext", "extendedKeyUsage=clientAuth", cwd=cwd)
    return str(cwd / "selfsigned.pem"), str(cwd / "selfsigned.key")


def expired_device(cwd: Path, ca_pem: str, ca_key: str) -> tuple[str, str]:
    """Signed by the server's own CA, valid only in 2020."""
    cwd.mkdir(parents=True, exist_ok=True)
    _ec_key(cwd, "expired")
    _openssl("req", "-new", "-key", "expired.key", "-out", "expired.csr", "-subj", "/CN=expired", cwd=cwd)
    (cwd / "index.txt").write_text("")
    (cwd / "serial").write_text("1000\n")
    (cwd / "ca.cnf").write_text(f"""
[ca]
default_ca = test_ca
[test_ca]
database = {cwd}/index.txt
serial = {cwd}/serial
new_certs_dir = {cwd}
certificate = {ca_pem}
private_key = {ca_key}
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = client
unique_subject = no
[any]
commonName = supplied
[client]
{CLIENT_EXT}""")
    _openssl("ca", "-batch", "-config", "ca.cnf", "-in", "expired.csr", "-out", "expired.pem", "-notext",
             "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", cwd=cwd)
    return str(cwd / "expired.pem"), str(cwd / "expired.key")
