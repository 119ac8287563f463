"""Interop: the AWS Common Runtime (awscrt), the engine of the AWS IoT Device SDKs, over mTLS.

awscrt.mqtt (3.1.1 Connection) and awscrt.mqtt5 (Client), with TLS contexts built as device SDK
samples build them: create_client_with_mtls_from_path + override_default_trust_store_from_path, and
ALPN x-amzn-mqtt-ca as used on port 443.
"""

import queue
import threading

import pytest

awscrt = pytest.importorskip("awscrt")
from awscrt import io, mqtt  # noqa: E402

from support import pki  # noqa: E402

WAIT = 10


@pytest.fixture(scope="module")
def bootstrap():
    elg = io.EventLoopGroup(1)
    resolver = io.DefaultHostResolver(elg)
    return io.ClientBootstrap(elg, resolver)


def tls_ctx(srv, cert="device", alpn=None):
    certfile, keyfile = srv.issue_cert(cert)
    opts = io.TlsContextOptions.create_client_with_mtls_from_path(certfile, keyfile)
    opts.override_default_trust_store_from_path(None, srv.ca_path)
    if alpn:
        opts.alpn_list = alpn
    return io.ClientTlsContext(opts)


@pytest.fixture
def connections():
    made = []
    yield made
    for c in made:
        try:
            c.disconnect().result(WAIT)
        except Exception:
            pass


def v3_connection(srv, bootstrap, connections, client_id, *, clean=True, alpn=None, username=None):
    client = mqtt.Client(bootstrap, tls_ctx(srv, alpn=alpn))
    conn = mqtt.Connection(client=client, host_name="localhost", port=srv.port, client_id=client_id,
                           clean_session=clean, keep_alive_secs=30, username=username)
    connections.append(conn)
    return conn


class Inbox:
    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, topic, payload, dup=False, qos=None, retain=False, **kwargs):
        self.q.put((topic, payload, qos, retain))

    def get(self):
        return self.q.get(timeout=WAIT)


@pytest.mark.parametrize("alpn", [None, ["x-amzn-mqtt-ca"]], ids=["plain", "alpn"])
def test_connect_subscribe_publish_qos1(tenet, bootstrap, connections, uid, alpn):
    conn = v3_connection(tenet, bootstrap, connections, uid, alpn=alpn)
    result = conn.connect().result(WAIT)
    assert result["session_present"] is False
    inbox = Inbox()
    fut, _ = conn.subscribe(f"{uid}/t", mqtt.QoS.AT_LEAST_ONCE, inbox)
    assert fut.result(WAIT)["qos"] == mqtt.QoS.AT_LEAST_ONCE
    fut, _ = conn.publish(f"{uid}/t", b"from crt", mqtt.QoS.AT_LEAST_ONCE)
    fut.result(WAIT)
    assert inbox.get() == (f"{uid}/t", b"from crt", mqtt.QoS.AT_LEAST_ONCE, False)


def test_sdk_style_username_suffix(tenet, bootstrap, connections, uid):
    # what the AWS IoT Device SDKs send: metrics appended to the username (reference section 1.3)
    conn = v3_connection(tenet, bootstrap, connections, uid,
                         username="?SDK=PythonV2&Version=1.0.0&Platform=Linux")
    conn.connect().result(WAIT)
    fut, _ = conn.publish(f"{uid}/t", b"x", mqtt.QoS.AT_LEAST_ONCE)
    fut.result(WAIT)


def test_crt_and_raw_clients_interoperate(tenet, bootstrap, connections, uid):
    raw = tenet.connect(f"{uid}raw", v5=True)
    assert raw.subscribe(1, [(f"{uid}/up", 1)]) == [1]
    conn = v3_connection(tenet, bootstrap, connections, f"{uid}crt")
    conn.connect().result(WAIT)
    inbox = Inbox()
    fut, _ = conn.subscribe(f"{uid}/down", mqtt.QoS.AT_LEAST_ONCE, inbox)
    fut.result(WAIT)
    fut, _ = conn.publish(f"{uid}/up", b"telemetry", mqtt.QoS.AT_LEAST_ONCE)
    fut.result(WAIT)
    m = raw.receive()
    assert (m.topic, m.payload, m.qos) == (f"{uid}/up", b"telemetry", 1)
    raw.publish(f"{uid}/down", "command", qos=1, pid=2)
    assert inbox.get()[:2] == (f"{uid}/down", b"command")


def test_persistent_session_with_crt(tenet, bootstrap, connections, uid):
    conn = v3_connection(tenet, bootstrap, connections, f"{uid}s", clean=False)
    conn.connect().result(WAIT)
    inbox = Inbox()
    conn.subscribe(f"{uid}/q", mqtt.QoS.AT_LEAST_ONCE, inbox)[0].result(WAIT)
    conn.disconnect().result(WAIT)
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "while offline", qos=1)
    again = v3_connection(tenet, bootstrap, connections, f"{uid}s", clean=False)
    got = Inbox()
    again.on_message(got)  # session present: messages arrive without a new SUBSCRIBE
    assert again.connect().result(WAIT)["session_present"] is True
    assert got.get()[:2] == (f"{uid}/q", b"while offline")


def test_retained_message_with_crt(tenet, bootstrap, connections, uid):
    conn = v3_connection(tenet, bootstrap, connections, uid)
    conn.connect().result(WAIT)
    conn.publish(f"{uid}/state", b"on", mqtt.QoS.AT_LEAST_ONCE, retain=True)[0].result(WAIT)
    inbox = Inbox()
    conn.subscribe(f"{uid}/state", mqtt.QoS.AT_LEAST_ONCE, inbox)[0].result(WAIT)
    assert inbox.get() == (f"{uid}/state", b"on", mqtt.QoS.AT_LEAST_ONCE, True)
    conn.publish(f"{uid}/state", b"", mqtt.QoS.AT_LEAST_ONCE, retain=True)[0].result(WAIT)


def test_crt_without_valid_certificate_fails(tenet, bootstrap, connections, uid, tmp_path):
    certfile, keyfile = pki.self_signed_device(tmp_path)
    opts = io.TlsContextOptions.create_client_with_mtls_from_path(certfile, keyfile)
    opts.override_default_trust_store_from_path(None, tenet.ca_path)
    client = mqtt.Client(bootstrap, io.ClientTlsContext(opts))
    conn = mqtt.Connection(client=client, host_name="localhost", port=tenet.port, client_id=uid,
                           reconnect_min_timeout_secs=60)
    with pytest.raises(Exception):
        conn.connect().result(WAIT)


# ---- MQTT 5 client ----------------------------------------------------------------------------

mqtt5 = pytest.importorskip("awscrt.mqtt5")


class Mqtt5Client:
    def __init__(self, srv, bootstrap, client_id, alpn=None):
        self.connected = threading.Event()
        self.failure = queue.Queue()
        self.stopped = threading.Event()
        self.inbox: queue.Queue = queue.Queue()
        self.connack = None

        def on_success(data):
            self.connack = data.connack_packet
            self.connected.set()

        # Debian's awscrt 0.16.8 refuses keep_alive_interval_sec here and crashes on
        # ClientSessionBehaviorType.REJOIN_ALWAYS, so this client keeps the defaults (keep-alive 1200 s,
        # clean sessions); persistent sessions through awscrt are covered with mqtt.Connection above.
        connect = mqtt5.ConnectPacket(client_id=client_id)
        self.client = mqtt5.Client(mqtt5.ClientOptions(
            host_name="localhost", port=srv.port, bootstrap=bootstrap, tls_ctx=tls_ctx(srv, alpn=alpn),
            connect_options=connect,
            session_behavior=mqtt5.ClientSessionBehaviorType.CLEAN,
            on_publish_callback_fn=lambda d: self.inbox.put(d.publish_packet),
            on_lifecycle_event_connection_success_fn=on_success,
            on_lifecycle_event_connection_failure_fn=lambda d: self.failure.put(d.exception),
            on_lifecycle_event_stopped_fn=lambda d: self.stopped.set()))

    def start(self):
        self.client.start()
        assert self.connected.wait(WAIT), f"mqtt5 client did not connect: {list(self.failure.queue)}"
        return self.connack

    def stop(self):
        self.client.stop()
        self.stopped.wait(WAIT)


@pytest.fixture
def mqtt5_clients():
    made = []
    yield made
    for c in made:
        try:
            c.stop()
        except Exception:
            pass


@pytest.mark.parametrize("alpn", [None, ["x-amzn-mqtt-ca"]], ids=["plain", "alpn"])
def test_mqtt5_client_publish_subscribe_with_properties(tenet, bootstrap, mqtt5_clients, uid, alpn):
    c = Mqtt5Client(tenet, bootstrap, uid, alpn=alpn)
    mqtt5_clients.append(c)
    connack = c.start()
    assert connack.reason_code == mqtt5.ConnectReasonCode.SUCCESS
    assert connack.receive_maximum == 100
    assert connack.subscription_identifiers_available is False
    suback = c.client.subscribe(mqtt5.SubscribePacket(subscriptions=[
        mqtt5.Subscription(topic_filter=f"{uid}/t", qos=mqtt5.QoS.AT_LEAST_ONCE)])).result(WAIT)
    assert suback.reason_codes == [mqtt5.SubackReasonCode.GRANTED_QOS_1]
    puback = c.client.publish(mqtt5.PublishPacket(
        topic=f"{uid}/t", payload=b"crt5", qos=mqtt5.QoS.AT_LEAST_ONCE, content_type="text/plain",
        user_properties=[mqtt5.UserProperty("k", "v")])).result(WAIT).puback
    assert puback.reason_code == mqtt5.PubackReasonCode.SUCCESS
    p = c.inbox.get(timeout=WAIT)
    assert (p.topic, p.payload, p.qos) == (f"{uid}/t", b"crt5", mqtt5.QoS.AT_LEAST_ONCE)
    assert p.content_type == "text/plain"
    assert [(u.name, u.value) for u in p.user_properties] == [("k", "v")]


def test_mqtt5_empty_client_id_gets_gen_id(tenet, bootstrap, mqtt5_clients):
    c = Mqtt5Client(tenet, bootstrap, None)
    mqtt5_clients.append(c)
    connack = c.start()
    assert connack.assigned_client_identifier and connack.assigned_client_identifier.startswith("$GEN/")
