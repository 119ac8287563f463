"""14 limits: every [limits] key that guards untrusted input, on a server configured with small values
so each limit is reached with a handful of packets. Timeouts are awaited with deadlines.
"""

import socket
import threading
import time

import pytest

from support import packets as P
from support.client import Closed
from support.packets import h
from support.timing import wait_until

LIMITS = {
    "max_packet_size": 1024,
    "max_client_id_length": 16,
    "max_topic_length": 32,
    "receive_maximum": 3,
    "max_inflight": 2,
    "max_queued_messages": 3,
    "max_subscriptions": 4,
    "topic_alias_maximum": 2,
    "handshake_timeout_ms": 500,
    "connect_timeout_ms": 500,
}


@pytest.fixture(scope="module")
def srv(module_tenet_factory):
    return module_tenet_factory(config={"limits": LIMITS}, name="tenet(small limits)")


def _publish_of_size(topic: str, size: int, *, v5: bool, qos: int = 1) -> bytes:
    """A PUBLISH whose whole packet (fixed header included) is exactly `size` bytes."""
    base = len(P.publish(topic, b"", qos=qos, v5=v5))
    for extra in range(size):  # the remaining-length varint may grow by a byte
        pkt = P.publish(topic, b"x" * (size - base - extra), qos=qos, v5=v5)
        if len(pkt) == size:
            return pkt
    raise AssertionError("no such size")


def test_v5_connack_advertises_configured_limits(srv, uid):
    c = srv.connect(uid, v5=True)
    pr = c.connack.props
    assert pr.get(P.P_MAXIMUM_PACKET_SIZE) == 1024
    assert pr.get(P.P_RECEIVE_MAXIMUM) == 3
    assert pr.get(P.P_TOPIC_ALIAS_MAXIMUM) == 2


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_packet_at_max_packet_size_is_accepted(srv, uid, v5):
    c = srv.connect(uid, v5=v5)
    c.send(_publish_of_size(f"{uid}/t", 1024, v5=v5))
    assert P.parse_ack(c.expect_type(P.PUBACK), v5).codes[0] in (0x00, 0x10)


def test_v5_packet_over_max_packet_size_gets_0x95(srv, uid):  # 5.0 3.2.2.3.6, 4.13
    by = srv.connect(f"{uid}by")
    c = srv.connect(uid, v5=True)
    c.send(_publish_of_size(f"{uid}/t", 1025, v5=True))
    c.expect_disconnect(0x95)
    by.ping()


def test_v3_packet_over_max_packet_size_is_closed(srv, uid):
    by = srv.connect(f"{uid}by")
    c = srv.connect(uid)
    c.send(_publish_of_size(f"{uid}/t", 1025, v5=False))
    assert c.expect_closed() == []
    by.ping()


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_announced_huge_packet_is_refused_without_waiting_for_it(srv, uid, v5):
    # Remaining length 268435455 (the maximum): the server must not wait for (or buffer) 256 MiB.
    c = srv.connect(uid, v5=v5)
    c.send("30 ff ff ff 7f  00 03 61 2f 62")
    if v5:
        c.expect_disconnect(0x95, timeout=3)
    else:
        assert c.expect_closed(timeout=3) == []


def test_server_respects_client_maximum_packet_size(srv, uid):  # [MQTT-3.1.2-24] [MQTT-3.1.2-25] (5.0)
    sub = srv.connect(f"{uid}s", v5=True, properties=P.props((P.P_MAXIMUM_PACKET_SIZE, 64)))
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    pub = srv.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", b"B" * 100, qos=1)   # would be > 64 bytes on the wire: dropped
    pub.publish(f"{uid}/t", b"small", qos=1, pid=2)
    m = sub.receive()
    assert m.payload == b"small", "a packet above the client's Maximum Packet Size was sent"


def test_v5_receive_maximum_exceeded_gets_0x93(srv, uid):  # 5.0 3.3.4 (flow control)
    c = srv.connect(uid, v5=True)
    for pid in (1, 2, 3):  # QoS 2 stays in flight until PUBREL/PUBCOMP
        c.send(P.publish(f"{uid}/t", "x", qos=2, pid=pid, v5=True))
        assert P.parse_ack(c.expect_type(P.PUBREC), True).pid == pid
    c.send(P.publish(f"{uid}/t", "x", qos=2, pid=4, v5=True))  # one more than Receive Maximum 3
    c.expect_disconnect(0x93)


def test_v5_releasing_makes_room_under_receive_maximum(srv, uid):
    c = srv.connect(uid, v5=True)
    for pid in range(1, 10):  # 9 QoS 2 messages, never more than 1 in flight
        assert c.publish(f"{uid}/t", "x", qos=2, pid=pid) in (0x00, 0x10)
    c.ping()


def test_server_respects_client_receive_maximum(srv, uid):  # [MQTT-3.3.4-9] (5.0)
    sub = srv.connect(f"{uid}s", v5=True, properties=P.props((P.P_RECEIVE_MAXIMUM, 1)))
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    pub = srv.connect(f"{uid}p", v5=True)
    for i in range(3):
        pub.publish(f"{uid}/t", f"m{i}", qos=1, pid=i + 1)
    first = sub.expect_publish()
    assert first.payload == b"m0"
    sub.expect_silence(0.5)  # nothing more until the first is acknowledged
    sub.send(P.ack(P.PUBACK, first.pid))
    assert sub.receive().payload == b"m1"
    assert sub.receive().payload == b"m2"


def test_server_caps_outbound_inflight_for_v3(srv, uid):  # limits.max_inflight = 2
    sub = srv.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    pub = srv.connect(f"{uid}p")
    for i in range(4):
        pub.publish(f"{uid}/t", f"m{i}", qos=1, pid=i + 1)
    a, b = sub.expect_publish(), sub.expect_publish()
    assert (a.payload, b.payload) == (b"m0", b"m1")
    sub.expect_silence(0.5)
    sub.send(P.ack(P.PUBACK, a.pid))
    sub.send(P.ack(P.PUBACK, b.pid))
    assert [sub.receive().payload for _ in range(2)] == [b"m2", b"m3"]


@pytest.mark.parametrize("alias", [0, 3, 0xFFFF])
def test_v5_topic_alias_out_of_range_gets_0x94(srv, uid, alias):  # 5.0 3.3.2.3.4
    c = srv.connect(uid, v5=True)
    c.send(P.publish(f"{uid}/t", "x", v5=True, properties=P.props((P.P_TOPIC_ALIAS, alias))))
    c.expect_disconnect(0x94)


def test_v5_unknown_topic_alias_is_protocol_error(srv, uid):  # 5.0 3.3.2.3.4 / 3.3.4
    c = srv.connect(uid, v5=True)
    c.send(P.publish("", "x", v5=True, properties=P.props((P.P_TOPIC_ALIAS, 2))))
    c.expect_disconnect(0x82)


def test_v5_topic_aliases_are_per_connection(srv, uid):  # [MQTT-3.3.2-7] (5.0)
    c = srv.connect(uid, v5=True)
    c.publish(f"{uid}/t", "x", properties=P.props((P.P_TOPIC_ALIAS, 1)))
    c.disconnect()
    c = srv.connect(uid, v5=True)
    c.send(P.publish("", "x", v5=True, properties=P.props((P.P_TOPIC_ALIAS, 1))))
    c.expect_disconnect(0x82)


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_max_subscriptions(srv, uid, v5):
    c = srv.connect(uid, v5=v5)
    codes = c.subscribe(1, [(f"{uid}/{i}", 1) for i in range(5)])
    assert codes == [1, 1, 1, 1, 0x97 if v5 else 0x80]
    assert c.subscribe(2, [(f"{uid}/0", 0)]) == [0]  # replacing one does not count
    c.send(P.unsubscribe(3, [f"{uid}/0"], v5=v5))
    c.expect_type(P.UNSUBACK)
    assert c.subscribe(4, [(f"{uid}/4", 1)]) == [1]  # and a freed slot can be used again


def test_client_id_at_configured_limit_is_accepted(srv):
    srv.connect("k" * 16).disconnect()


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_client_id_over_configured_limit_is_refused(srv, v5):
    c = srv.open()
    c.send(P.connect("k" * 17, v5=v5))
    got = c.expect_closed()
    assert len(got) == 1, got
    assert P.parse_connack(got[0], v5).code == (0x85 if v5 else 0x02), got


def test_topic_at_configured_limit_is_accepted(srv, uid):
    topic = (uid + "/" + "t" * 32)[:32]
    c = srv.connect(uid, v5=True)
    assert c.subscribe(1, [(topic, 1)]) == [1]
    c.publish(topic, "x", qos=1)
    assert c.receive().topic == topic


def test_v5_topic_over_configured_limit_is_refused(srv, uid):
    c = srv.connect(uid, v5=True)
    topic = (uid + "/" + "t" * 33)[:33]
    assert c.subscribe(1, [(topic, 1)]) == [0x8F]
    c.send(P.publish(topic, "x", qos=1, pid=2, v5=True))
    pkt = c.recv()
    if pkt.type == P.PUBACK:
        assert P.parse_ack(pkt, True).codes == [0x90], pkt  # Topic Name invalid
    else:
        assert pkt.type == P.DISCONNECT and P.disconnect_reason(pkt) == 0x90, pkt


def test_v3_topic_over_configured_limit_is_refused(srv, uid):
    c = srv.connect(uid)
    topic = (uid + "/" + "t" * 33)[:33]
    assert c.subscribe(1, [(topic, 1)]) == [0x80]
    c.send(P.publish(topic, "x", qos=1, pid=2))
    assert c.expect_closed() == []


def test_offline_queue_keeps_the_oldest_messages_up_to_the_limit(srv, uid):  # limits.max_queued_messages = 3
    sub = srv.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = srv.connect(f"{uid}p")
    for i in range(5):
        pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1)
    c = srv.connect(f"{uid}s", clean=False, expect_present=True)
    assert [c.receive().payload for _ in range(3)] == [b"m0", b"m1", b"m2"]
    pub.publish(f"{uid}/q", "live", qos=1, pid=9)
    assert c.receive().payload == b"live", "more than max_queued_messages were kept"
    c.disconnect()
    srv.connect(f"{uid}s").disconnect()


def _wait_tcp_closed(sock: socket.socket, timeout: float) -> float:
    start = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionError:
        pass
    except socket.timeout:
        raise AssertionError(f"connection still open after {timeout}s")
    return time.monotonic() - start


def test_idle_tcp_connection_is_closed_at_handshake_timeout(srv):  # handshake_timeout_ms = 500
    s = socket.create_connection((srv.host, srv.port))
    try:
        elapsed = _wait_tcp_closed(s, timeout=5)
    finally:
        s.close()
    assert 0.3 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s"


def test_stalled_client_hello_is_closed_at_handshake_timeout(srv):
    s = socket.create_connection((srv.host, srv.port))
    try:
        s.sendall(h("16 03 01 02 00 01"))  # the start of a TLS record, then nothing
        elapsed = _wait_tcp_closed(s, timeout=5)
    finally:
        s.close()
    assert elapsed <= 3.0


def test_tls_without_connect_is_closed_at_connect_timeout(srv):  # connect_timeout_ms = 500
    c = srv.open()
    start = time.monotonic()
    assert c.expect_closed(timeout=5) == []
    assert time.monotonic() - start <= 3.0


def test_partial_connect_is_closed_at_connect_timeout(srv):
    c = srv.open()
    c.send("10 0f  00 04 4d 51 54")  # half a CONNECT
    assert c.expect_closed(timeout=5) == []


def test_max_concurrent_handshakes(tenet_factory):
    s2 = tenet_factory(config={"limits": {"max_concurrent_handshakes": 2}}, name="tenet(2 handshakes)")
    idle = [socket.create_connection((s2.host, s2.port)) for _ in range(2)]
    try:
        # the accept queue is FIFO, so the server takes the two idle ones before the third
        third = socket.create_connection((s2.host, s2.port))
        try:
            elapsed = _wait_tcp_closed(third, timeout=5)
        finally:
            third.close()
        assert elapsed < 3.0, "the third handshake was not refused at once"
    finally:
        for s in idle:
            s.close()

    def connects():
        try:
            c = s2.open()
        except (OSError, ConnectionError):
            return False
        c.send(P.connect("after"))
        try:
            return c.recv(2).raw == h("20 02 00 00")
        except (AssertionError, Closed):
            return False

    wait_until(connects, timeout=10, what="a handshake accepted again once the idle ones closed")


def test_connect_deadline_is_not_extended_by_trickling_bytes(srv):  # connect_timeout_ms = 500
    # a CONNECT dribbled out one byte every 0.2 s must still be cut off at the deadline (slowloris)
    c = srv.open()
    start = time.monotonic()
    connect = h("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 73 6c 77")
    for b in connect[:-1]:
        try:
            c.send(bytes([b]))
        except OSError:
            break
        if not c.is_open(timeout=0.2):  # this read is also the pacing between bytes
            break
    elapsed = time.monotonic() - start
    assert not c.is_open(timeout=2.0), "connection still open"
    assert elapsed <= 2.0, f"the server waited {elapsed:.1f}s for a trickled CONNECT"


@pytest.fixture(scope="module")
def small_outbound(module_tenet_factory):
    return module_tenet_factory(config={"limits": {"max_outbound_bytes": 65536}}, name="tenet(max_outbound_bytes)")


def test_slow_consumer_does_not_stall_publisher_or_lose_qos1(small_outbound, uid):
    srv = small_outbound
    slow = srv.connect(f"{uid}slow", rcvbuf=16384)  # subscribes, then stops reading for a while
    assert slow.subscribe(1, [(f"{uid}/flood", 1)]) == [1]
    fast = srv.connect(f"{uid}fast")
    assert fast.subscribe(1, [(f"{uid}/flood", 1)]) == [1]
    fast_got: list[bytes] = []

    def read_fast():  # a reader that keeps up, on its own thread
        while True:
            m = fast.receive(timeout=20)
            fast_got.append(m.payload)
            if m.payload == b"end":
                return

    reader = threading.Thread(target=read_fast, daemon=True)
    reader.start()
    pub = srv.connect(f"{uid}pub")
    chunk = b"z" * 20000
    start = time.monotonic()
    for _ in range(500):  # 10 MB of QoS 0, far beyond what the slow reader's buffers hold
        pub.send(P.publish(f"{uid}/flood", chunk))
    pub.publish(f"{uid}/flood", "end", qos=1)  # PUBACK: the publisher was never blocked
    assert time.monotonic() - start < 20
    reader.join(25)
    assert fast_got and fast_got[-1] == b"end", "the fast subscriber was held up by the slow one"
    # the slow one may lose QoS 0 messages (documented) but not the QoS 1 one, and stays connected
    payloads = []
    while not payloads or payloads[-1] != b"end":
        payloads.append(slow.receive(timeout=10).payload)
    assert len(payloads) < 501, "no QoS 0 message was dropped for a reader over max_outbound_bytes"
    slow.ping()


def test_subscriber_vanishing_under_a_flood_harms_nobody_else(tenet, uid):
    """Regression (found by bench/compare-mosquitto): a subscriber that goes away while the server is
    writing a backlog to it must cost only that connection. The server once died of SIGPIPE here,
    because OpenSSL writes to the socket with write(2)."""
    pub = tenet.connect(f"{uid}-pub", v5=True)
    payload = b"x" * 8192
    for round_ in range(3):  # each round gives the race another chance to hit EPIPE
        sub = tenet.connect(f"{uid}-sub{round_}", v5=True, rcvbuf=4096)
        sub.subscribe(1, [(f"{uid}/flood", 0)])
        for _ in range(300):  # ~2.4 MB: far more than the small receive window holds
            pub.send(P.publish(f"{uid}/flood", payload, qos=0, v5=True))
        # Close with the backlog still unsent: the server's next writes meet a reset connection
        # (ECONNRESET, then EPIPE).
        sub.sock.close()
        for _ in range(300):
            pub.send(P.publish(f"{uid}/flood", payload, qos=0, v5=True))
        pub.ping()
    other = tenet.connect(f"{uid}-other", v5=False)
    other.ping()
