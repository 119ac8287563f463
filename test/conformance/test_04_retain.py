"""04 retain: storing, replacing and deleting retained messages, the RETAIN flag on delivery, wildcard
filters (default: they get retained messages; `mqtt.retained_for_wildcards = false` gives AWS IoT's
behaviour), v5 Retain Handling and Retain As Published.
"""

import time

import pytest

from support import packets as P
from support.timing import wait_past


def test_retained_message_is_sent_on_subscribe_with_retain_set(tenet):  # [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]
    pub = tenet.connect("r1p")
    pub.send("31 0b  00 04 72 31 2f 61  6b 65 70 74 31")      # PUBLISH retain "r1/a" "kept1"
    pub.ping()
    sub = tenet.connect("r1s")
    sub.send("82 09  00 01  00 04 72 31 2f 61  00")          # SUBSCRIBE "r1/a" QoS 0
    sub.expect("90 03 00 01 00")
    sub.expect("31 0b  00 04 72 31 2f 61  6b 65 70 74 31")   # RETAIN=1 on the stored copy


def test_live_delivery_has_retain_cleared(tenet):  # [MQTT-3.3.1-9] (3.1.1) / [MQTT-3.3.1-12] (5.0)
    sub = tenet.connect("r2s")
    sub.send("82 09  00 01  00 04 72 32 2f 61  00")          # SUBSCRIBE "r2/a" QoS 0
    sub.expect("90 03 00 01 00")
    pub = tenet.connect("r2p")
    pub.send("31 0a  00 04 72 32 2f 61  6c 69 76 65")         # PUBLISH retain "r2/a" "live"
    sub.expect("30 0a  00 04 72 32 2f 61  6c 69 76 65")       # forwarded with RETAIN=0


def test_new_retained_message_replaces_the_old_one(tenet, uid):  # [MQTT-3.3.1-5]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "old", qos=1, retain=True)
    pub.publish(f"{uid}/t", "new", qos=1, pid=2, retain=True)
    pub.publish(f"{uid}/m", "marker", qos=1, pid=3, retain=True)
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    m = sub.receive()
    assert (m.payload, m.retain) == (b"new", True)
    assert sub.subscribe(2, [(f"{uid}/m", 1)]) == [1]
    assert sub.receive().payload == b"marker", "more than one retained message for one topic"


def test_zero_byte_retained_publish_deletes_and_is_still_delivered(tenet, uid):
    # [MQTT-3.3.1-10] deletes; [MQTT-3.3.1-11] not stored; still sent to current subscribers as normal
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "kept", qos=1, retain=True)
    live = tenet.connect(f"{uid}l")
    assert live.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    assert live.receive().payload == b"kept"
    pub.publish(f"{uid}/t", b"", qos=1, pid=2, retain=True)
    m = live.receive()
    assert (m.payload, m.retain) == (b"", False)
    pub.publish(f"{uid}/m", "marker", qos=1, pid=3, retain=True)
    late = tenet.connect(f"{uid}s")
    assert late.subscribe(1, [(f"{uid}/t", 1), (f"{uid}/m", 1)]) == [1, 1]
    assert late.receive().payload == b"marker", "the deleted retained message was still sent"


def test_retained_qos0_message_is_stored(tenet, uid):  # [MQTT-3.3.1-7] (3.1.1)
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "q0", qos=0, retain=True)
    pub.ping()
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    m = sub.receive()
    assert (m.payload, m.qos, m.retain) == (b"q0", 0, True)


@pytest.mark.parametrize("sub_qos", [0, 1, 2])
def test_retained_delivery_qos_is_the_minimum(tenet, uid, sub_qos):
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "r", qos=1, retain=True)
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/t", sub_qos)]) == [sub_qos]
    m = sub.receive()
    assert (m.qos, m.retain) == (min(1, sub_qos), True)


def test_wildcard_subscriptions_get_retained_messages_by_default(tenet, uid):
    pub = tenet.connect(f"{uid}p")
    for t in ("a", "b/c", "d"):
        pub.publish(f"{uid}/{t}", t, qos=1, retain=True)
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/#", 1)]) == [1]
    got = sorted((m.topic, m.payload, m.retain) for m in (sub.receive() for _ in range(3)))
    assert got == [(f"{uid}/a", b"a", True), (f"{uid}/b/c", b"b/c", True), (f"{uid}/d", b"d", True)]
    sub2 = tenet.connect(f"{uid}s2")
    assert sub2.subscribe(1, [(f"{uid}/+", 1)]) == [1]
    got = sorted(sub2.receive().topic for _ in range(2))
    assert got == [f"{uid}/a", f"{uid}/d"]


def test_v3_resubscribe_sends_retained_again(tenet, uid):  # [MQTT-3.8.4-3]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "r", qos=1, retain=True)
    sub = tenet.connect(f"{uid}s")
    for pid in (1, 2):
        assert sub.subscribe(pid, [(f"{uid}/t", 1)]) == [1]
        m = sub.receive()
        assert (m.payload, m.retain) == (b"r", True)


@pytest.mark.parametrize("handling,first,again", [
    (0, True, True),    # [MQTT-3.3.1-9] (5.0): always on subscribe
    (1, True, False),   # [MQTT-3.3.1-10] (5.0): only if the subscription did not exist
    (2, False, False),  # [MQTT-3.3.1-11] (5.0): never
])
def test_v5_retain_handling(tenet, uid, handling, first, again):
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "r", qos=1, retain=True)
    pub.publish(f"{uid}/m", "marker", qos=1, pid=2, retain=True)
    sub = tenet.connect(f"{uid}s", v5=True)
    for pid, want in ((1, first), (2, again)):
        assert sub.subscribe(pid, [(f"{uid}/t", (handling << 4) | 1)]) == [1]
        assert sub.subscribe(pid + 10, [(f"{uid}/m", 0x20 | 1)]) == [1]  # marker topic: handling 2...
        pub.publish(f"{uid}/m", "marker", qos=1, pid=3)                   # ...so send it live
        m = sub.receive()
        if want:
            assert (m.topic, m.retain) == (f"{uid}/t", True)
            m = sub.receive()
        assert m.payload == b"marker", f"retain handling {handling}: unexpected {m}"


@pytest.mark.parametrize("rap,want_flag", [(False, False), (True, True)])
def test_v5_retain_as_published(tenet, uid, rap, want_flag):  # [MQTT-3.3.1-12] [MQTT-3.3.1-13] (5.0)
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", (0x08 if rap else 0) | 0x20 | 1)]) == [1]
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "x", qos=1, retain=True)
    m = sub.receive()
    assert (m.payload, m.retain) == (b"x", want_flag)


def test_v5_retained_message_keeps_its_properties(tenet, uid):
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "{}", qos=1, retain=True, properties=P.props(
        (P.P_CONTENT_TYPE, "application/json"), (P.P_USER_PROPERTY, ("k", "v"))))
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    m = sub.receive()
    assert m.retain and m.props.get(P.P_CONTENT_TYPE) == "application/json"
    assert m.props.all(P.P_USER_PROPERTY) == [("k", "v")]


@pytest.fixture(scope="module")
def aws_retain_server(module_tenet_factory):
    return module_tenet_factory(config={"mqtt": {"retained_for_wildcards": False}}, name="tenet(aws-retain)")


def test_aws_mode_wildcards_do_not_get_retained_messages(aws_retain_server, uid):
    srv = aws_retain_server
    pub = srv.connect(f"{uid}p")
    pub.publish(f"{uid}/a", "r", qos=1, retain=True)
    pub.publish(f"{uid}/m", "marker", qos=1, pid=2, retain=True)
    wild = srv.connect(f"{uid}w")
    assert wild.subscribe(1, [(f"{uid}/+", 1), (f"{uid}/m", 1)]) == [1, 1]
    m = wild.receive()
    assert m.topic == f"{uid}/m" and m.payload == b"marker", "a wildcard filter got a retained message"
    exact = srv.connect(f"{uid}e")
    assert exact.subscribe(1, [(f"{uid}/a", 1)]) == [1]
    m = exact.receive()
    assert (m.payload, m.retain) == (b"r", True)


@pytest.mark.slow
def test_v5_retained_message_expires(tenet, uid):  # [MQTT-3.3.2-5] (5.0)
    pub = tenet.connect(f"{uid}p", v5=True)
    sent = time.monotonic()
    pub.publish(f"{uid}/t", "short-lived", qos=1, retain=True, properties=P.props((P.P_MESSAGE_EXPIRY, 1)))
    pub.publish(f"{uid}/m", "marker", qos=1, pid=2, retain=True)
    wait_past(sent, 2.1)  # the 1 s expiry cannot be observed without subscribing (which is the test)
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", 1), (f"{uid}/m", 1)]) == [1, 1]
    assert sub.receive().payload == b"marker", "an expired retained message was delivered"
