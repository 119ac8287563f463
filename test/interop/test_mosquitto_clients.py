"""Interop: Eclipse Mosquitto's command line clients (mosquitto_pub, mosquitto_sub, mosquitto_rr)
over mTLS, MQTT 3.1.1 and 5.

mosquitto_sub runs with -d so the test can wait for "received SUBACK" before publishing, and with
-F so each message is one parseable line.
"""

import shutil
import signal

import pytest

from support import packets as P
from support.procs import LineProc, run

pytestmark = pytest.mark.skipif(not shutil.which("mosquitto_sub"), reason="mosquitto-clients not installed")

VERSIONS = ["mqttv311", "mqttv5"]
FMT = "MSG|%t|%p|%q|%r|%P|%C"


def common(srv, version, cert="device"):
    c, k = srv.issue_cert(cert)
    return ["-h", "localhost", "-p", str(srv.port), "--cafile", srv.ca_path, "--cert", c, "--key", k,
            "-V", version]


def start_sub(srv, version, client_id, topic, *, qos=1, count=1, extra=()):
    p = LineProc(["mosquitto_sub", *common(srv, version), "-i", client_id, "-t", topic, "-q", str(qos),
                  "-C", str(count), "-W", "20", "-d", "-F", FMT, *extra])
    p.wait_line(lambda line: "received SUBACK" in line)
    return p


def messages(proc):
    return [line.split("|")[1:] for line in proc.lines if line.startswith("MSG|")]


def pub(srv, version, client_id, topic, payload, *, qos=1, extra=()):
    body = ["-n"] if payload is None else ["-m", payload]  # -n: a zero-length message
    r = run(["mosquitto_pub", *common(srv, version), "-i", client_id, "-t", topic, *body, "-q", str(qos), *extra])
    assert r.returncode == 0, f"mosquitto_pub failed ({r.returncode}): {r.stdout}{r.stderr}"


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", VERSIONS)
def test_pub_sub_roundtrip(tenet, uid, version, qos):
    sub = start_sub(tenet, version, f"{uid}s", f"{uid}/#", qos=qos)
    pub(tenet, version, f"{uid}p", f"{uid}/a", "hello", qos=qos)
    assert sub.finish() == 0
    assert messages(sub) == [[f"{uid}/a", "hello", str(qos), "0", "", ""]]


@pytest.mark.parametrize("pub_version,sub_version", [("mqttv311", "mqttv5"), ("mqttv5", "mqttv311")])
def test_cross_version(tenet, uid, pub_version, sub_version):
    sub = start_sub(tenet, sub_version, f"{uid}s", f"{uid}/t", qos=2)
    pub(tenet, pub_version, f"{uid}p", f"{uid}/t", "across", qos=2)
    assert sub.finish() == 0
    assert [m[:3] for m in messages(sub)] == [[f"{uid}/t", "across", "2"]]


def test_v5_properties_reach_mosquitto_sub(tenet, uid):
    sub = start_sub(tenet, "mqttv5", f"{uid}s", f"{uid}/t")
    pub(tenet, "mqttv5", f"{uid}p", f"{uid}/t", "{}", extra=[
        "-D", "publish", "user-property", "k", "v", "-D", "publish", "content-type", "application/json"])
    assert sub.finish() == 0
    assert messages(sub) == [[f"{uid}/t", "{}", "1", "0", "k:v", "application/json"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message(tenet, uid, version):
    pub(tenet, version, f"{uid}p", f"{uid}/r", "kept", extra=["-r"])
    sub = LineProc(["mosquitto_sub", *common(tenet, version), "-i", f"{uid}s", "-t", f"{uid}/r", "-q", "1",
                    "-C", "1", "-W", "20", "-F", FMT])
    assert sub.finish() == 0
    assert [m[:4] for m in messages(sub)] == [[f"{uid}/r", "kept", "1", "1"]]
    pub(tenet, version, f"{uid}p", f"{uid}/r", None, extra=["-r"])  # delete it again
    check = tenet.connect(f"{uid}c")
    assert check.subscribe(1, [(f"{uid}/r", 1), (f"{uid}/m", 1)]) == [1, 1]
    check.publish(f"{uid}/m", "marker", qos=1)
    assert check.receive().payload == b"marker", "the zero-byte retained publish did not delete"


@pytest.mark.parametrize("version", VERSIONS)
def test_persistent_session_with_mosquitto_sub(tenet, uid, version):
    # subscribe with -c (clean session 0 / no session expiry), exit, publish, then resume
    first = start_sub(tenet, version, f"{uid}s", f"{uid}/q", count=1, extra=["-c"])
    pub(tenet, version, f"{uid}p", f"{uid}/q", "one")
    assert first.finish() == 0
    pub(tenet, version, f"{uid}p", f"{uid}/q", "queued1")
    pub(tenet, version, f"{uid}p", f"{uid}/q", "queued2")
    again = LineProc(["mosquitto_sub", *common(tenet, version), "-i", f"{uid}s", "-t", f"{uid}/q", "-q", "1",
                      "-c", "-C", "2", "-W", "20", "-F", FMT])
    assert again.finish() == 0
    assert [m[1] for m in messages(again)] == ["queued1", "queued2"]
    # end the session: connect once with a clean session
    r = run(["mosquitto_sub", *common(tenet, version), "-i", f"{uid}s", "-t", f"{uid}/q", "-E"])
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_will_of_killed_mosquitto_sub(tenet, uid, version):
    watcher = tenet.connect(f"{uid}w", v5=True)
    assert watcher.subscribe(1, [(f"{uid}/will", 1)]) == [1]
    dying = start_sub(tenet, version, f"{uid}d", f"{uid}/none", extra=[
        "--will-topic", f"{uid}/will", "--will-payload", "bye", "--will-qos", "1"])
    dying.proc.send_signal(signal.SIGKILL)
    dying.finish()
    m = watcher.receive()
    assert (m.topic, m.payload, m.qos) == (f"{uid}/will", b"bye", 1)


def test_raw_subscriber_sees_mosquitto_pub_bytes(tenet, uid):
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/t", 0)]) == [0]
    pub(tenet, "mqttv311", f"{uid}p", f"{uid}/t", "hi", qos=0)
    topic = f"{uid}/t".encode()
    sub.expect(bytes([0x30, 2 + len(topic) + 2]) + len(topic).to_bytes(2, "big") + topic + b"hi")


def test_mosquitto_pub_with_alpn_x_amzn_mqtt_ca(tenet, uid):
    sub = start_sub(tenet, "mqttv311", f"{uid}s", f"{uid}/t")
    pub(tenet, "mqttv311", f"{uid}p", f"{uid}/t", "alpn", extra=["--tls-alpn", "x-amzn-mqtt-ca"])
    assert sub.finish() == 0
    assert [m[1] for m in messages(sub)] == ["alpn"]


def test_mosquitto_pub_without_certificate_fails(tenet, uid):
    r = run(["mosquitto_pub", "-h", "localhost", "-p", str(tenet.port), "--cafile", tenet.ca_path,
             "-i", f"{uid}p", "-t", f"{uid}/t", "-m", "x", "-q", "1"])
    assert r.returncode != 0


def test_mosquitto_rr_request_response(tenet, uid):
    # a raw responder answers on the Response Topic with the Correlation Data (MQTT 5 4.10)
    responder = tenet.connect(f"{uid}r", v5=True)
    assert responder.subscribe(1, [(f"{uid}/req", 1)]) == [1]
    rr = LineProc(["mosquitto_rr", *common(tenet, "mqttv5"), "-i", f"{uid}c", "-t", f"{uid}/req",
                   "-e", f"{uid}/resp", "-m", "ping", "-q", "1", "-W", "20"])
    req = responder.receive()
    assert req.payload == b"ping"
    resp_topic = req.props.get(P.P_RESPONSE_TOPIC)
    corr = req.props.get(P.P_CORRELATION_DATA)
    assert resp_topic == f"{uid}/resp"
    responder.publish(resp_topic, "pong", qos=1, pid=2,
                      properties=P.props((P.P_CORRELATION_DATA, corr)) if corr is not None else None)
    assert rr.finish() == 0
    assert "pong" in rr.lines
