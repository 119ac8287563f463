"""05 session: persistent sessions (v3 clean session 0, v5 session expiry), queueing while offline,
redelivery of unacknowledged messages, clean start, client-id takeover, session and message expiry.
"""

import time

import pytest

from support import packets as P
from support.timing import wait_past


def _reconnect_raw(tenet, packet: bytes, label: str):
    c = tenet.open(label=label)
    c.send(packet)
    return c


def test_v3_persistent_session_queues_qos1_and_qos2_while_offline(tenet, uid):  # [MQTT-3.1.2-4] [MQTT-3.1.2-5]
    sub = tenet.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 2)]) == [2]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "m1", qos=1, pid=1)
    pub.publish(f"{uid}/q", "m2", qos=2, pid=2)
    pub.publish(f"{uid}/q", "m3", qos=1, pid=3)
    c = _reconnect_raw(tenet, P.connect(f"{uid}s", clean=False), "resumed")
    c.expect("20 02 01 00")  # session present [MQTT-3.2.2-2]
    got = [c.receive() for _ in range(3)]
    assert [(m.payload, m.qos) for m in got] == [(b"m1", 1), (b"m2", 2), (b"m3", 1)]
    c.ping()


def test_v5_persistent_session_queues_while_offline(tenet, uid):
    expiry = P.props((P.P_SESSION_EXPIRY, 300))
    sub = tenet.connect(f"{uid}s", v5=True, clean=True, properties=expiry)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p", v5=True)
    for i in range(5):
        assert pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1) == 0
    c = tenet.connect(f"{uid}s", v5=True, clean=False, properties=expiry, expect_present=True)
    assert [c.receive().payload for _ in range(5)] == [f"m{i}".encode() for i in range(5)]
    # the restored subscription keeps working without a new SUBSCRIBE
    pub.publish(f"{uid}/q", "live", qos=1, pid=9)
    assert c.receive().payload == b"live"
    c.send("e0 07  00  05 11 00 00 00 00")  # DISCONNECT, Session Expiry Interval 0: end it


def test_v3_clean_session_discards_subscriptions_and_queue(tenet, uid):  # [MQTT-3.1.2-6]
    sub = tenet.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "queued", qos=1)
    c = tenet.connect(f"{uid}s", clean=True, expect_present=False)
    assert c.subscribe(1, [(f"{uid}/m", 1)]) == [1]
    pub.publish(f"{uid}/q", "after", qos=1, pid=2)
    pub.publish(f"{uid}/m", "marker", qos=1, pid=3)
    assert c.receive().payload == b"marker", "clean session still had the old subscription or queue"
    c.disconnect()
    c = tenet.connect(f"{uid}s", clean=False, expect_present=False)  # nothing left to resume
    c.send(P.DISCONNECT_BYTES)


def test_v5_clean_start_discards_the_session(tenet, uid):  # [MQTT-3.1.2-4] (5.0)
    expiry = P.props((P.P_SESSION_EXPIRY, 300))
    sub = tenet.connect(f"{uid}s", v5=True, properties=expiry)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "queued", qos=1)
    c = tenet.connect(f"{uid}s", v5=True, clean=True, properties=expiry, expect_present=False)
    assert c.subscribe(1, [(f"{uid}/m", 1)]) == [1]
    pub.publish(f"{uid}/m", "marker", qos=1, pid=3)
    assert c.receive().payload == b"marker"
    c.send("e0 07  00  05 11 00 00 00 00")


def test_v5_takeover_disconnects_old_connection_with_0x8e(tenet, uid):  # [MQTT-3.1.4-3] (5.0)
    old = tenet.connect(uid, v5=True, label="old")
    new = tenet.connect(uid, v5=True, label="new")
    old.expect_disconnect(0x8E)
    new.ping()


def test_v3_takeover_closes_old_connection(tenet, uid):  # [MQTT-3.1.4-2] (3.1.1)
    old = tenet.connect(uid, label="old")
    new = tenet.connect(uid, label="new")
    assert old.expect_closed() == []
    new.ping()


def test_takeover_across_versions(tenet, uid):
    old = tenet.connect(uid, v5=True, label="old-v5")
    new = tenet.connect(uid, label="new-v3")
    old.expect_disconnect(0x8E)
    new.ping()


def test_takeover_resumes_the_session_and_inflight_messages(tenet, uid):  # [MQTT-3.1.2-4] [MQTT-4.4.0-1]
    old = tenet.connect(f"{uid}s", clean=False, label="old")
    assert old.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "inflight", qos=1)
    first = old.expect_publish()        # not acknowledged
    new = tenet.connect(f"{uid}s", clean=False, expect_present=True, label="new")
    assert old.expect_closed() == []
    m = new.receive()
    assert (m.payload, m.dup, m.pid) == (b"inflight", True, first.pid)
    pub.publish(f"{uid}/q", "next", qos=1, pid=2)
    assert new.receive().payload == b"next"
    new.disconnect()
    tenet.connect(f"{uid}s", clean=True).disconnect()


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_unacknowledged_qos1_is_resent_with_dup_and_same_id(tenet, uid, v5):  # [MQTT-4.4.0-1] [MQTT-3.3.1-1]
    props = P.props((P.P_SESSION_EXPIRY, 300)) if v5 else None
    sub = tenet.connect(f"{uid}s", v5=v5, clean=v5, properties=props)  # v3: clean session 0
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "again", qos=1)
    first = sub.expect_publish()
    assert not first.dup
    sub.close()  # no PUBACK, no DISCONNECT
    c = tenet.connect(f"{uid}s", v5=v5, clean=False, properties=props, expect_present=True)
    pkt = c.expect_type(P.PUBLISH)
    m = P.parse_publish(pkt, v5)
    assert (m.payload, m.qos, m.dup, m.pid) == (b"again", 1, True, first.pid), pkt
    c.send(P.ack(P.PUBACK, m.pid))
    c.ping()
    c.send("e0 07  00  05 11 00 00 00 00" if v5 else "e0 00")


def test_unreleased_qos2_resends_pubrel_not_publish(tenet, uid):  # [MQTT-4.4.0-1]
    sub = tenet.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 2)]) == [2]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "q2", qos=2)
    m = sub.expect_publish()
    sub.send(P.ack(P.PUBREC, m.pid))
    sub.expect(P.ack(P.PUBREL, m.pid))
    sub.close()  # no PUBCOMP
    c = tenet.connect(f"{uid}s", clean=False, expect_present=True)
    c.expect(P.ack(P.PUBREL, m.pid))  # "62 02 <id>": the release again, never the message
    c.send(P.ack(P.PUBCOMP, m.pid))
    pub.publish(f"{uid}/q", "marker", qos=0)
    assert c.receive().payload == b"marker"
    c.disconnect()
    tenet.connect(f"{uid}s", clean=True).disconnect()


def test_unacknowledged_qos2_publish_is_resent_with_dup(tenet, uid):  # [MQTT-4.4.0-1]
    sub = tenet.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 2)]) == [2]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "q2", qos=2)
    first = sub.expect_publish()
    sub.close()  # no PUBREC
    c = tenet.connect(f"{uid}s", clean=False, expect_present=True)
    m = c.expect_publish()
    assert (m.payload, m.qos, m.dup, m.pid) == (b"q2", 2, True, first.pid)
    c.send(P.ack(P.PUBREC, m.pid))
    c.expect(P.ack(P.PUBREL, m.pid))
    c.send(P.ack(P.PUBCOMP, m.pid))
    c.disconnect()
    tenet.connect(f"{uid}s", clean=True).disconnect()


def test_v5_session_expiry_zero_ends_session_at_disconnect(tenet, uid):  # [MQTT-3.1.2-23] (5.0)
    sub = tenet.connect(uid, v5=True, clean=False)  # no Session Expiry Interval = 0
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    c = tenet.connect(uid, v5=True, clean=False, expect_present=False)
    c.disconnect()


def test_v5_disconnect_can_shorten_session_expiry_to_zero(tenet, uid):  # v5 3.14.2.2.2
    props = P.props((P.P_SESSION_EXPIRY, 300))
    sub = tenet.connect(uid, v5=True, properties=props)
    sub.send("e0 07  00  05 11 00 00 00 00")
    assert sub.expect_closed() == []
    tenet.connect(uid, v5=True, clean=False, properties=props, expect_present=False).disconnect()


def test_v5_disconnect_cannot_raise_expiry_from_zero(tenet, uid):  # [MQTT-3.14.2-2]
    sub = tenet.connect(uid, v5=True, clean=True)  # Session Expiry Interval 0
    sub.send("e0 07  00  05 11 00 00 01 00")       # DISCONNECT asking for 256 s: protocol error
    got = sub.expect_closed()
    assert got == [] or (len(got) == 1 and P.disconnect_reason(got[0]) == 0x82), got
    tenet.connect(uid, v5=True, clean=False, expect_present=False).disconnect()


@pytest.mark.slow
def test_v5_session_expires_after_its_interval(tenet, uid):  # [MQTT-3.1.2-23] (5.0)
    props = P.props((P.P_SESSION_EXPIRY, 1))
    sub = tenet.connect(uid, v5=True, properties=props)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    closed_at = time.monotonic()
    wait_past(closed_at, 2.2)  # the expiry timer (1 s) cannot be polled without resuming the session
    tenet.connect(uid, v5=True, clean=False, properties=props, expect_present=False).disconnect()


@pytest.mark.slow
def test_v5_queued_message_expiry(tenet, uid):  # [MQTT-3.3.2-5] [MQTT-3.3.2-6] (5.0)
    props = P.props((P.P_SESSION_EXPIRY, 300))
    sub = tenet.connect(f"{uid}s", v5=True, properties=props)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p", v5=True)
    sent_at = time.monotonic()
    pub.publish(f"{uid}/q", "short", qos=1, pid=1, properties=P.props((P.P_MESSAGE_EXPIRY, 1)))
    pub.publish(f"{uid}/q", "long", qos=1, pid=2, properties=P.props((P.P_MESSAGE_EXPIRY, 60)))
    pub.publish(f"{uid}/q", "forever", qos=1, pid=3)
    wait_past(sent_at, 2.1)  # let the 1 s message expire while queued
    c = tenet.connect(f"{uid}s", v5=True, clean=False, properties=props, expect_present=True)
    m = c.receive()
    assert m.payload == b"long", "an expired message was delivered"
    assert 1 <= m.props.get(P.P_MESSAGE_EXPIRY, 0) <= 58, "expiry must count down while queued"
    m = c.receive()
    assert m.payload == b"forever" and P.P_MESSAGE_EXPIRY not in m.props.ids()
    c.send("e0 07  00  05 11 00 00 00 00")


@pytest.mark.slow
def test_v3_persistent_session_expiry_is_configurable(tenet_factory, uid):
    srv = tenet_factory(config={"limits": {"persistent_session_expiry": 1}})
    sub = srv.connect(uid, clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    closed_at = time.monotonic()
    # not expired yet right away...
    srv.connect(uid, clean=False, expect_present=True).disconnect()
    closed_at = time.monotonic()
    wait_past(closed_at, 2.2)  # ...but gone after persistent_session_expiry = 1 s
    srv.connect(uid, clean=False, expect_present=False).disconnect()


def test_redelivery_keeps_original_order_before_new_messages(tenet, uid):  # [MQTT-4.6.0-1]
    sub = tenet.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    for i in range(3):
        pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1)
    firsts = [sub.expect_publish() for _ in range(3)]  # none acknowledged
    sub.close()
    for i in range(3, 5):
        pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1)  # queued while offline
    c = tenet.connect(f"{uid}s", clean=False, expect_present=True)
    got = [c.receive() for _ in range(5)]
    assert [m.payload for m in got] == [f"m{i}".encode() for i in range(5)]
    assert [m.dup for m in got[:3]] == [True] * 3 and [m.pid for m in got[:3]] == [m.pid for m in firsts]
    c.disconnect()
    tenet.connect(f"{uid}s").disconnect()
