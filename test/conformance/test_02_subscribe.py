"""02 subscribe: SUBACK codes, filter validation, wildcard and $-topic rules, overlaps, unsubscribe.

Absence of a delivery is proven with a marker: after the message that must not arrive, the same
publisher sends a marker the subscriber does match, and the marker must be the next packet.
"""

import pytest

from support import packets as P
from support.packets import h


def test_v3_suback_grants_requested_qos_per_filter(tenet):  # [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.9.3-1]
    c = tenet.connect("s1")
    # id 0x0102: "s1/a" QoS 0, "s1/b" QoS 1, "s1/c" QoS 2
    c.send("82 17  01 02  00 04 73 31 2f 61 00  00 04 73 31 2f 62 01  00 04 73 31 2f 63 02")
    c.expect("90 05  01 02  00 01 02")


def test_v5_suback_grants_requested_qos_per_filter(tenet):
    c = tenet.connect("s2", v5=True)
    c.send("82 18  01 02  00  00 04 73 32 2f 61 00  00 04 73 32 2f 62 01  00 04 73 32 2f 63 02")
    pkt = c.expect_type(P.SUBACK)
    a = P.parse_ack(pkt, v5=True)
    assert (a.pid, a.codes) == (0x0102, [0, 1, 2]), pkt
    # without a Reason String / User Property the SUBACK is exactly:
    if not a.props:
        assert pkt.raw == h("90 06  01 02  00  00 01 02")


INVALID_FILTERS = [
    ("hash-not-last", "s3/#/b"),           # [MQTT-4.7.1-2]
    ("hash-glued", "s3/a#"),               # [MQTT-4.7.1-2]
    ("plus-glued", "s3/a+"),               # [MQTT-4.7.1-3]
    ("plus-prefix", "s3/+a/b"),            # [MQTT-4.7.1-3]
    ("empty", ""),                         # [MQTT-4.7.3-1]
    ("share-no-filter", "$share/g"),       # v5 4.8.2
    ("share-empty-group", "$share//s3"),   # v5 4.8.2
    ("share-wildcard-group", "$share/g+/s3"),
]


@pytest.mark.parametrize("name,bad", INVALID_FILTERS, ids=[n for n, _ in INVALID_FILTERS])
@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_invalid_filter_is_refused_per_filter(tenet, uid, name, bad, v5):
    c = tenet.connect(uid, v5=v5)
    codes = c.subscribe(5, [(f"{uid}/ok", 1), (bad, 1)])
    assert codes == [0x01, 0x8F if v5 else 0x80]
    # the connection stays usable and the valid filter works
    c.publish(f"{uid}/ok", "x", qos=1, pid=6)
    m = c.receive()
    assert (m.topic, m.payload) == (f"{uid}/ok", b"x")


def test_topic_filter_longer_than_limit_is_refused(tenet, uid):  # limits.max_topic_length = 256
    c = tenet.connect(uid, v5=True)
    assert c.subscribe(1, [("f/" + "x" * 254, 0), ("f/" + "x" * 255, 0)]) == [0x00, 0x8F]


def test_dollar_topics_are_not_matched_by_leading_wildcards(tenet, uid):  # [MQTT-4.7.2-1]
    hash_sub = tenet.connect(f"{uid}h")
    plus_sub = tenet.connect(f"{uid}p")
    dollar_sub = tenet.connect(f"{uid}d")
    assert hash_sub.subscribe(1, [("#", 0)]) == [0]
    assert plus_sub.subscribe(1, [(f"+/{uid}", 0)]) == [0]
    assert dollar_sub.subscribe(1, [(f"${uid}/#", 0), (f"+/{uid}", 0)]) == [0, 0]
    pub = tenet.connect(f"{uid}x")
    pub.publish(f"${uid}/{uid}", "dollar", qos=1)
    pub.publish(f"m/{uid}", "marker", qos=1, pid=2)
    m = dollar_sub.expect_publish()
    assert (m.topic, m.payload) == (f"${uid}/{uid}", b"dollar")
    assert dollar_sub.expect_publish().payload == b"marker"
    for c in (hash_sub, plus_sub):
        m = c.expect_publish()
        assert (m.topic, m.payload) == (f"m/{uid}", b"marker"), "a '$' topic matched a leading wildcard"


def test_multilevel_wildcard_matches_parent_level(tenet, uid):  # [MQTT-4.7.1-2] (non-normative example)
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/a/#", 0)]) == [0]
    for topic in (f"{uid}/a", f"{uid}/a/b/c", f"{uid}/a/"):
        c.publish(topic, "x")
        assert c.expect_publish().topic == topic


def test_single_level_wildcard_matches_empty_levels(tenet, uid):  # MQTT 4.7.1.3
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/+/z", 0), (f"{uid}/+", 0)]) == [0, 0]
    c.publish(f"{uid}//z", "1")
    assert c.expect_publish().topic == f"{uid}//z"
    c.publish(f"{uid}/", "2")
    assert c.expect_publish().topic == f"{uid}/"
    c.publish(f"{uid}/a/b", "no")      # two levels: matches neither
    c.publish(f"{uid}/a", "3")
    assert c.expect_publish().payload == b"3"


def test_overlapping_subscriptions_deliver_one_copy_at_highest_qos(tenet, uid):  # [MQTT-3.3.5-1]
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/+", 1), (f"{uid}/#", 2), (f"{uid}/a", 0)]) == [1, 2, 0]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/a", "once", qos=2, pid=1)
    pub.publish(f"{uid}/a", "marker", qos=0)
    m = c.receive()
    assert (m.payload, m.qos) == (b"once", 2)
    m = c.receive()
    assert m.payload == b"marker", "overlapping subscriptions delivered a second copy"


def test_resubscribe_replaces_the_subscription(tenet, uid):  # [MQTT-3.8.4-3]
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/t", 2)]) == [2]
    assert c.subscribe(2, [(f"{uid}/t", 0)]) == [0]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/t", "a", qos=2, pid=3)
    pub.publish(f"{uid}/t", "b", qos=0)
    m = c.expect_publish()
    assert (m.payload, m.qos) == (b"a", 0)
    assert c.expect_publish().payload == b"b", "the old subscription still delivered"


def test_v3_unsubscribe(tenet):  # [MQTT-3.10.4-4] [MQTT-3.10.4-5]
    c = tenet.connect("s4")
    c.send("82 09  00 01  00 04 73 34 2f 61 01")   # SUBSCRIBE "s4/a" QoS 1
    c.expect("90 03 00 01 01")
    c.send("82 09  00 02  00 04 73 34 2f 6d 00")   # SUBSCRIBE "s4/m" QoS 0 (marker)
    c.expect("90 03 00 02 00")
    c.send("a2 08  00 03  00 04 73 34 2f 61")      # UNSUBSCRIBE "s4/a"
    c.expect("b0 02 00 03")
    c.send("a2 08  00 04  00 04 73 34 2f 7a")      # UNSUBSCRIBE "s4/z": never subscribed, still acked
    c.expect("b0 02 00 04")
    c.send("30 07  00 04 73 34 2f 61  78")         # PUBLISH "s4/a" "x": no longer subscribed
    c.send("30 07  00 04 73 34 2f 6d  6d")         # PUBLISH "s4/m" "m"
    c.expect("30 07  00 04 73 34 2f 6d  6d")


def test_v5_unsubscribe_reports_per_filter(tenet):
    c = tenet.connect("s5", v5=True)
    assert c.subscribe(1, [("s5/a", 1)]) == [1]
    c.send("a2 0f  00 02  00  00 04 73 35 2f 61  00 04 73 35 2f 7a")  # UNSUBSCRIBE "s5/a", "s5/z"
    pkt = c.expect_type(P.UNSUBACK)
    a = P.parse_ack(pkt, v5=True)
    assert (a.pid, a.codes) == (2, [0x00, 0x11]), pkt  # 0x11 = no subscription existed


def test_subscription_identifier_is_refused(tenet, uid):
    # Not supported (CONNACK says 0): using one is a protocol error (0x82), or 0xA1 "not supported".
    c = tenet.connect(uid, v5=True)
    c.send(P.subscribe(1, [(f"{uid}/a", 0)], v5=True, properties=h("02 0b 07")))
    c.expect_disconnect({0x82, 0xA1})


def test_shared_subscription_delivers_each_message_to_one_member(tenet, uid):  # v5 4.8.2
    a = tenet.connect(f"{uid}a", v5=True)
    b = tenet.connect(f"{uid}b")  # v3 members share too (AWS IoT: $share for both versions)
    assert a.subscribe(1, [(f"$share/g/{uid}/t", 1)]) == [1]
    assert b.subscribe(1, [(f"$share/g/{uid}/t", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    sent = [f"m{i}".encode() for i in range(6)]
    for i, payload in enumerate(sent):
        pub.publish(f"{uid}/t", payload, qos=1, pid=i + 1)
    # Each PUBACK came after routing, so a PINGREQ barrier on each member collects everything.
    got = [m.payload for conn in (a, b) for m in conn.drain()]
    assert sorted(got) == sorted(sent), f"each message exactly once across the group, got {got}"


def test_shared_subscription_with_no_local_is_protocol_error(tenet, uid):  # [MQTT-3.8.3-4] (v5)
    c = tenet.connect(uid, v5=True)
    c.send(P.subscribe(1, [(f"$share/g/{uid}", 0x04)], v5=True))
    c.expect_disconnect(0x82)


def test_shared_and_plain_subscriptions_each_get_a_copy(tenet, uid):  # v5 4.8.2
    c = tenet.connect(uid, v5=True)
    assert c.subscribe(1, [(f"$share/g/{uid}/t", 0), (f"{uid}/t", 0)]) == [0, 0]
    c.publish(f"{uid}/t", "x")
    assert c.expect_publish().payload == b"x"
    assert c.expect_publish().payload == b"x"


# MQTT 3.1.1 section 4.7 (and 5.0 section 4.7) worked examples, plus case sensitivity (4.7.3).
MATCHING = [
    ("sport/tennis/player1/#", "sport/tennis/player1", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
    ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
    ("sport/#", "sport", True),
    ("sport/tennis/+", "sport/tennis/player1", True),
    ("sport/tennis/+", "sport/tennis/player1/tournament", False),
    ("sport/+", "sport", False),
    ("sport/+", "sport/", True),
    ("+/+", "/finance", True),
    ("/+", "/finance", True),
    ("+", "/finance", False),
    ("+/tennis/#", "sport/tennis/x", True),
    ("ACCOUNTS", "Accounts", False),
    ("a b/c", "a b/c", True),
    ("#", "/", True),
]


@pytest.mark.parametrize("filt,topic,matches", MATCHING, ids=[f"{f}~{t}" for f, t, _ in MATCHING])
def test_topic_matching_examples(tenet, uid, filt, topic, matches):
    # each case under its own prefix level, so cases cannot see each other's messages
    f, t = f"{uid}/{filt}", f"{uid}/{topic}"
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f, 0), (f"{uid}-marker", 0)]) == [0, 0]
    c.publish(t, "probe")
    c.publish(f"{uid}-marker", "marker")
    m = c.expect_publish()
    if matches:
        assert (m.topic, m.payload) == (t, b"probe")
        m = c.expect_publish()
    assert m.payload == b"marker", f"{f!r} {'should' if matches else 'should not'} match {t!r}"


def test_shared_subscription_does_not_get_retained_messages(tenet, uid):
    # MQTT 5.0 3.3.1.3 / 3.8.3.1: retained messages go to new *non-shared* subscriptions only.
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "retained", qos=1, retain=True)
    c = tenet.connect(uid, v5=True)
    assert c.subscribe(1, [(f"$share/g/{uid}/t", 1), (f"{uid}/m", 1)]) == [1, 1]
    pub.publish(f"{uid}/m", "marker", qos=1, pid=2)
    assert c.receive().payload == b"marker", "a shared subscription received a retained message"
    pub.publish(f"{uid}/t", b"", qos=1, pid=3, retain=True)


def test_subscribe_applies_to_the_next_packet_on_the_connection(tenet):
    # Packets on one connection are handled in order: a PUBLISH sent right after SUBSCRIBE, without
    # waiting for SUBACK, must be matched against the new subscription (and the SUBACK comes first).
    c = tenet.connect("s7")
    c.send("82 09  00 01  00 04 73 37 2f 61  00"   # SUBSCRIBE "s7/a" QoS 0
           "30 07  00 04 73 37 2f 61  78")         # PUBLISH "s7/a" "x"
    c.expect("90 03 00 01 00")
    c.expect("30 07  00 04 73 37 2f 61  78")


def test_unsubscribe_applies_to_the_next_packet_on_the_connection(tenet):
    c = tenet.connect("s8")
    c.send("82 09  00 01  00 04 73 38 2f 61  00")  # SUBSCRIBE "s8/a" QoS 0
    c.expect("90 03 00 01 00")
    c.send("82 09  00 02  00 04 73 38 2f 6d  00")  # SUBSCRIBE "s8/m" QoS 0 (marker)
    c.expect("90 03 00 02 00")
    c.send("a2 08  00 03  00 04 73 38 2f 61"       # UNSUBSCRIBE "s8/a"
           "30 07  00 04 73 38 2f 61  78"          # PUBLISH "s8/a" "x": must not come back
           "30 07  00 04 73 38 2f 6d  6d")         # PUBLISH "s8/m" "m"
    c.expect("b0 02 00 03")
    c.expect("30 07  00 04 73 38 2f 6d  6d")
