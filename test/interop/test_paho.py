"""Interop: Eclipse Paho Python (paho-mqtt 1.6.1) over mTLS, MQTT 3.1.1 and 5.

Paho runs its network loop in a thread; the test waits on its callbacks through queues, each wait
bounded.
"""

import queue
import ssl
import time

import pytest

paho = pytest.importorskip("paho.mqtt.client")
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402
from paho.mqtt.subscribeoptions import SubscribeOptions  # noqa: E402

WAIT = 10


class PahoClient:
    def __init__(self, srv, client_id, *, v5, clean=True, session_expiry=None, cert="device"):
        self.v5 = v5
        proto = paho.MQTTv5 if v5 else paho.MQTTv311
        if v5:
            self.c = paho.Client(client_id=client_id, protocol=proto)
        else:
            self.c = paho.Client(client_id=client_id, protocol=proto, clean_session=clean)
        certfile, keyfile = srv.issue_cert(cert)
        self.c.tls_set(ca_certs=srv.ca_path, certfile=certfile, keyfile=keyfile, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.connacks: queue.Queue = queue.Queue()
        self.subacks: queue.Queue = queue.Queue()
        self.acks: queue.Queue = queue.Queue()
        self.messages: queue.Queue = queue.Queue()
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda c, u, mid, granted, *rest: self.subacks.put((mid, granted))
        self.c.on_publish = lambda c, u, mid: self.acks.put(mid)
        self.c.on_message = lambda c, u, msg: self.messages.put(msg)
        self.srv = srv
        self.clean = clean
        self.session_expiry = session_expiry

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        self.connacks.put((flags, rc, properties))

    def connect(self):
        if self.v5:
            props = None
            if self.session_expiry is not None:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = self.session_expiry
            self.c.connect("localhost", self.srv.port, keepalive=30, clean_start=self.clean, properties=props)
        else:
            self.c.connect("localhost", self.srv.port, keepalive=30)
        self.c.loop_start()
        flags, rc, props = self.connacks.get(timeout=WAIT)
        assert rc == 0, f"paho CONNACK {rc}"
        return flags, props

    def subscribe(self, topic, qos=1, options=None):
        mid = self.c.subscribe(topic, options=options) if options else self.c.subscribe(topic, qos)
        got_mid, granted = self.subacks.get(timeout=WAIT)
        assert got_mid == mid[1]
        return granted

    def publish(self, topic, payload, qos=1, retain=False, properties=None):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if qos:
            info.wait_for_publish(WAIT)
            assert info.is_published()
        return info

    def message(self):
        return self.messages.get(timeout=WAIT)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def clients():
    made = []
    yield made
    for c in made:
        try:
            c.close()
        except Exception:
            pass


def _client(clients, *args, **kw):
    c = PahoClient(*args, **kw)
    clients.append(c)
    return c


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("v5", [False, True], ids=["v311", "v5"])
def test_roundtrip(tenet, clients, uid, v5, qos):
    sub = _client(clients, tenet, f"{uid}s", v5=v5)
    sub.connect()
    granted = sub.subscribe(f"{uid}/t", qos)
    assert (granted[0].value if v5 else granted[0]) == qos
    pub = _client(clients, tenet, f"{uid}p", v5=v5)
    pub.connect()
    pub.publish(f"{uid}/t", b"paho", qos=qos)
    m = sub.message()
    assert (m.topic, m.payload, m.qos, m.retain) == (f"{uid}/t", b"paho", qos, False)


def test_v5_connack_properties_seen_by_paho(tenet, clients, uid):
    c = _client(clients, tenet, uid, v5=True)
    _, props = c.connect()
    assert props.ReceiveMaximum == 100
    assert props.MaximumPacketSize == 262144
    assert props.SubscriptionIdentifierAvailable == 0


def test_v5_qos2_with_user_properties_and_request_response(tenet, clients, uid):
    sub = _client(clients, tenet, f"{uid}s", v5=True)
    sub.connect()
    sub.subscribe(f"{uid}/t", 2)
    pub = _client(clients, tenet, f"{uid}p", v5=True)
    pub.connect()
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("device", "d1"), ("trace", "abc"), ("device", "d2")]
    props.ContentType = "application/json"
    props.ResponseTopic = f"{uid}/reply"
    props.CorrelationData = b"\x00\x01"
    props.PayloadFormatIndicator = 1
    props.MessageExpiryInterval = 120
    pub.publish(f"{uid}/t", b'{"v":1}', qos=2, properties=props)
    m = sub.message()
    assert m.qos == 2 and m.payload == b'{"v":1}'
    p = m.properties
    assert p.UserProperty == [("device", "d1"), ("trace", "abc"), ("device", "d2")]
    assert p.ContentType == "application/json"
    assert p.ResponseTopic == f"{uid}/reply"
    assert p.CorrelationData == b"\x00\x01"
    assert p.PayloadFormatIndicator == 1
    assert 100 <= p.MessageExpiryInterval <= 120


def test_v3_and_v5_paho_clients_interoperate(tenet, clients, uid):
    v3 = _client(clients, tenet, f"{uid}a", v5=False)
    v5 = _client(clients, tenet, f"{uid}b", v5=True)
    v3.connect()
    v5.connect()
    v3.subscribe(f"{uid}/to3", 1)
    v5.subscribe(f"{uid}/to5", 1)
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("k", "v")]
    v5.publish(f"{uid}/to3", b"from v5", qos=1, properties=props)
    v3.publish(f"{uid}/to5", b"from v3", qos=1)
    assert v3.message().payload == b"from v5"
    assert v5.message().payload == b"from v3"


def test_v311_persistent_session(tenet, clients, uid):
    sub = _client(clients, tenet, f"{uid}s", v5=False, clean=False)
    flags, _ = sub.connect()
    assert flags["session present"] == 0
    sub.subscribe(f"{uid}/q", 1)
    sub.close()
    pub = _client(clients, tenet, f"{uid}p", v5=False)
    pub.connect()
    for i in range(3):
        pub.publish(f"{uid}/q", f"m{i}".encode(), qos=1)
    again = _client(clients, tenet, f"{uid}s", v5=False, clean=False)
    flags, _ = again.connect()
    assert flags["session present"] == 1
    assert [again.message().payload for _ in range(3)] == [b"m0", b"m1", b"m2"]


def test_v5_persistent_session(tenet, clients, uid):
    sub = _client(clients, tenet, f"{uid}s", v5=True, session_expiry=600)
    sub.connect()
    sub.subscribe(f"{uid}/q", 1)
    sub.close()
    pub = _client(clients, tenet, f"{uid}p", v5=True)
    pub.connect()
    pub.publish(f"{uid}/q", b"queued", qos=1)
    again = _client(clients, tenet, f"{uid}s", v5=True, clean=False, session_expiry=600)
    flags, props = again.connect()
    assert flags["session present"] == 1
    assert again.message().payload == b"queued"


def test_v5_no_local_and_retain_as_published(tenet, clients, uid):
    c = _client(clients, tenet, uid, v5=True)
    c.connect()
    c.subscribe(f"{uid}/t", options=SubscribeOptions(qos=1, noLocal=True))
    c.subscribe(f"{uid}/r", options=SubscribeOptions(qos=1, retainAsPublished=True))
    c.publish(f"{uid}/t", b"own", qos=1)
    c.publish(f"{uid}/r", b"kept", qos=1, retain=True)
    m = c.message()
    assert (m.topic, m.payload, m.retain) == (f"{uid}/r", b"kept", True)
    c.publish(f"{uid}/r", b"", qos=1, retain=True)


def test_v5_topic_alias_from_paho(tenet, clients, uid):
    sub = _client(clients, tenet, f"{uid}s", v5=True)
    sub.connect()
    sub.subscribe(f"{uid}/alias", 0)
    pub = _client(clients, tenet, f"{uid}p", v5=True)
    pub.connect()
    props = Properties(PacketTypes.PUBLISH)
    props.TopicAlias = 1
    pub.publish(f"{uid}/alias", b"one", qos=1, properties=props)
    pub.publish("", b"two", qos=1, properties=props)
    assert [(m.topic, m.payload) for m in (sub.message(), sub.message())] == [
        (f"{uid}/alias", b"one"), (f"{uid}/alias", b"two")]


def test_v5_shared_subscription_with_paho(tenet, clients, uid):
    a = _client(clients, tenet, f"{uid}a", v5=True)
    b = _client(clients, tenet, f"{uid}b", v5=True)
    for c in (a, b):
        c.connect()
        c.subscribe(f"$share/grp/{uid}/jobs", 1)
    pub = _client(clients, tenet, f"{uid}p", v5=True)
    pub.connect()
    for i in range(10):
        pub.publish(f"{uid}/jobs", f"j{i}".encode(), qos=1)
    got = []
    deadline = time.monotonic() + WAIT
    while len(got) < 10 and time.monotonic() < deadline:
        for c in (a, b):
            try:
                got.append(c.messages.get(timeout=0.02).payload)
            except queue.Empty:
                pass
    assert sorted(got) == sorted(f"j{i}".encode() for i in range(10))


def test_unsubscribe_with_paho(tenet, clients, uid):
    c = _client(clients, tenet, uid, v5=True)
    c.connect()
    c.subscribe(f"{uid}/a", 1)
    c.subscribe(f"{uid}/b", 1)
    unsub = queue.Queue()
    c.c.on_unsubscribe = lambda client, u, mid, *rest: unsub.put(mid)
    mid = c.c.unsubscribe(f"{uid}/a")[1]
    assert unsub.get(timeout=WAIT) == mid
    c.publish(f"{uid}/a", b"gone", qos=1)
    c.publish(f"{uid}/b", b"here", qos=1)
    assert c.message().payload == b"here"


def test_large_message_with_paho(tenet, clients, uid):
    sub = _client(clients, tenet, f"{uid}s", v5=False)
    sub.connect()
    sub.subscribe(f"{uid}/big", 1)
    pub = _client(clients, tenet, f"{uid}p", v5=False)
    pub.connect()
    payload = bytes(range(256)) * 500
    pub.publish(f"{uid}/big", payload, qos=1)
    assert sub.message().payload == payload
