"""08 TLS: mutual TLS only. A device must present a certificate from the server's CA that is valid
now and meant for client authentication; TLS 1.2 and 1.3 only; ALPN x-amzn-mqtt-ca (AWS IoT on 443)
and SNI are accepted. Refused certificates are made with the openssl CLI (support/pki.py).
"""

import socket
import ssl
import warnings

import pytest

from support import packets as P
from support import pki
from support.client import Closed

CONNECT_V3 = "10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 74 6c 73"  # client id "tls"


def _mqtt_works(srv, ctx, server_hostname="localhost"):
    c = srv.open(ctx, server_hostname=server_hostname)
    c.send(CONNECT_V3)
    c.expect("20 02 00 00")
    c.ping()
    return c


def _assert_refused(srv, ctx, server_hostname="localhost") -> str:
    """The handshake fails, or (TLS 1.3: the client's certificate is checked after the client thinks
    the handshake is done) the connection dies before any MQTT packet comes back."""
    try:
        c = srv.open(ctx, server_hostname=server_hostname)
    except (ssl.SSLError, ConnectionError, OSError) as e:
        return str(e)
    try:
        c.send(CONNECT_V3)
        got = c.expect_closed(timeout=5)
    except (ssl.SSLError, ConnectionError, OSError, Closed) as e:
        return str(e)
    assert got == [], f"refused client got MQTT traffic: {got!r}"
    return c.close_reason


def test_tls13_mutual_auth_works(tenet):
    c = _mqtt_works(tenet, tenet.tls_context(minimum=ssl.TLSVersion.TLSv1_3))
    assert c.sock.version() == "TLSv1.3"


def test_tls12_mutual_auth_works(tenet):  # AWS IoT devices commonly pin TLS 1.2
    c = _mqtt_works(tenet, tenet.tls_context(maximum=ssl.TLSVersion.TLSv1_2))
    assert c.sock.version() == "TLSv1.2"


@pytest.mark.parametrize("version", ["TLSv1_1", "TLSv1"])
def test_old_tls_versions_are_refused(tenet, version):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        v = getattr(ssl.TLSVersion, version)
        ctx = tenet.tls_context(minimum=v, maximum=v)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client really offer the old version
    with pytest.raises(ssl.SSLError) as e:
        tenet.open(ctx)
    assert "PROTOCOL_VERSION" in str(e.value).upper() or "UNSUPPORTED_PROTOCOL" in str(e.value).upper(), \
        f"refused for another reason than the version: {e.value}"
    assert "NO_PROTOCOLS_AVAILABLE" not in str(e.value).upper(), "the client could not offer the version"


def test_client_without_certificate_is_refused(tenet):
    _assert_refused(tenet, tenet.tls_context(cert=None))


def test_certificate_from_another_ca_is_refused(tenet, tmp_path):
    _assert_refused(tenet, tenet.tls_context(cert_files=pki.foreign_device(tmp_path)))


def test_certificate_from_a_lookalike_ca_is_refused(tenet, tmp_path):
    # same subject as tenet's root CA, different key: only the signature tells them apart
    files = pki.foreign_device(tmp_path, ca_subject="/O=tenet/CN=tenet root CA")
    _assert_refused(tenet, tenet.tls_context(cert_files=files))


def test_self_signed_certificate_is_refused(tenet, tmp_path):
    _assert_refused(tenet, tenet.tls_context(cert_files=pki.self_signed_device(tmp_path)))


def test_expired_certificate_from_the_right_ca_is_refused(tenet, tmp_path):
    files = pki.expired_device(tmp_path, tenet.ca_path, str(tenet.data_dir / "ca.key"))
    _assert_refused(tenet, tenet.tls_context(cert_files=files))


def test_server_certificate_is_not_a_device_identity(tenet):
    # server.pem is signed by the same CA but only for serverAuth (RFC 5280 4.2.1.12)
    files = (str(tenet.data_dir / "server.pem"), str(tenet.data_dir / "server.key"))
    _assert_refused(tenet, tenet.tls_context(cert_files=files))


@pytest.mark.parametrize("key_type", ["ec-p256", "ec-p384", "rsa-2048"])
def test_device_certificates_of_each_key_type_work(tenet, key_type):
    _mqtt_works(tenet, tenet.tls_context(cert=f"dev-{key_type}", key_type=key_type))


def test_alpn_x_amzn_mqtt_ca_is_negotiated(tenet):  # reference 1.1: port 443 with ALPN x-amzn-mqtt-ca
    c = _mqtt_works(tenet, tenet.tls_context(alpn=["x-amzn-mqtt-ca"]))
    assert c.sock.selected_alpn_protocol() == "x-amzn-mqtt-ca"


def test_sni_localhost_is_accepted_and_certificate_matches(tenet):
    _mqtt_works(tenet, tenet.tls_context(), server_hostname="localhost")


def test_ip_address_without_sni_matches_certificate(tenet):
    # Python sends no SNI for an IP address and checks the IP SAN instead
    _mqtt_works(tenet, tenet.tls_context(), server_hostname="127.0.0.1")


def test_plain_tcp_mqtt_gets_no_connack(tenet):  # there is no plaintext listener
    s = socket.create_connection((tenet.host, tenet.port), timeout=5)
    try:
        s.sendall(P.h(CONNECT_V3))
        data = b""
        while True:
            try:
                chunk = s.recv(4096)
            except (ConnectionError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        assert not data.startswith(P.h("20 02")), f"plaintext CONNECT answered: {data.hex(' ')}"
    finally:
        s.close()


def test_server_keeps_serving_after_refused_handshakes(tenet, tmp_path):
    files = pki.self_signed_device(tmp_path)
    for _ in range(5):
        _assert_refused(tenet, tenet.tls_context(cert_files=files))
    _mqtt_works(tenet, tenet.tls_context())
