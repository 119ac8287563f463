"""03 publish/QoS: QoS 0/1/2 flows in both directions, QoS downgrade, duplicates, v3<->v5 interop
and the v5 properties that must travel with a message.
"""

import pytest

from support import packets as P
from support.packets import h


def test_v3_qos0_is_forwarded_byte_for_byte(tenet):  # [MQTT-3.3.1-9] [MQTT-3.8.4-1]
    sub = tenet.connect("p1s")
    sub.send("82 09  00 01  00 04 70 31 2f 61  00")          # SUBSCRIBE "p1/a" QoS 0
    sub.expect("90 03 00 01 00")
    pub = tenet.connect("p1p")
    pub.send("30 0b  00 04 70 31 2f 61  68 65 6c 6c 6f")      # PUBLISH "p1/a" "hello"
    sub.expect("30 0b  00 04 70 31 2f 61  68 65 6c 6c 6f")


def test_v3_qos1_flow_both_directions(tenet):  # [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-2.3.1-1]
    sub = tenet.connect("p2s")
    sub.send("82 09  00 01  00 04 70 32 2f 61  01")          # SUBSCRIBE "p2/a" QoS 1
    sub.expect("90 03 00 01 01")
    pub = tenet.connect("p2p")
    pub.send("32 0d  00 04 70 32 2f 61  00 0a  68 65 6c 6c 6f")
    pub.expect("40 02 00 0a")                                 # PUBACK, same packet id
    pkt = sub.expect_type(P.PUBLISH)
    assert pkt.raw[:8] == h("32 0d  00 04 70 32 2f 61") and pkt.raw[10:] == b"hello", pkt
    pid = pkt.raw[8:10]
    assert pid != h("00 00"), "QoS 1 PUBLISH needs a non-zero packet id"
    sub.send(h("40 02") + pid)
    sub.ping()


def test_v3_qos2_flow_both_directions(tenet):  # [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-3.6.1-1]
    sub = tenet.connect("p3s")
    sub.send("82 09  00 01  00 04 70 33 2f 61  02")          # SUBSCRIBE "p3/a" QoS 2
    sub.expect("90 03 00 01 02")
    pub = tenet.connect("p3p")
    pub.send("34 0d  00 04 70 33 2f 61  00 0b  68 65 6c 6c 6f")
    pub.expect("50 02 00 0b")                                 # PUBREC
    pub.send("62 02 00 0b")                                   # PUBREL (flags 0010)
    pub.expect("70 02 00 0b")                                 # PUBCOMP
    pkt = sub.expect_type(P.PUBLISH)
    assert pkt.raw[:8] == h("34 0d  00 04 70 33 2f 61") and pkt.raw[10:] == b"hello", pkt
    pid = pkt.raw[8:10]
    assert pid != h("00 00")
    sub.send(h("50 02") + pid)                                # PUBREC
    sub.expect(h("62 02") + pid)                              # PUBREL from the server, flags 0010
    sub.send(h("70 02") + pid)                                # PUBCOMP
    sub.ping()


@pytest.mark.parametrize("qos", [1, 2])
def test_v5_qos_flows_succeed_with_reason_0(tenet, uid, qos):
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", qos)]) == [qos]
    pub = tenet.connect(f"{uid}p", v5=True)
    assert pub.publish(f"{uid}/t", "v5", qos=qos, pid=300) == 0x00
    m = sub.receive()
    assert (m.topic, m.payload, m.qos, m.dup, m.retain) == (f"{uid}/t", b"v5", qos, False, False)
    sub.ping()


def test_duplicate_qos2_publish_is_delivered_once(tenet):  # [MQTT-4.3.3-2] (3.1.1) / [MQTT-4.3.3-9] (5.0)
    sub = tenet.connect("p5s")
    sub.send("82 09  00 01  00 04 70 35 2f 61  02")          # SUBSCRIBE "p5/a" QoS 2
    sub.expect("90 03 00 01 02")
    pub = tenet.connect("p5p")
    pub.send("34 0c  00 04 70 35 2f 61  00 0c  6f 6e 63 65")  # PUBLISH QoS 2 id 12 "once"
    pub.expect("50 02 00 0c")
    pub.send("3c 0c  00 04 70 35 2f 61  00 0c  6f 6e 63 65")  # the same again with DUP=1
    pub.expect("50 02 00 0c")                                 # PUBREC again
    pub.send("62 02 00 0c")
    pub.expect("70 02 00 0c")
    pub.send("30 0a  00 04 70 35 2f 61  6e 65 78 74")         # QoS 0 "next" as a marker
    m = sub.receive()
    assert (m.payload, m.qos) == (b"once", 2)
    m = sub.receive()
    assert m.payload == b"next", "the duplicate QoS 2 PUBLISH was delivered twice"


def test_qos2_packet_id_reused_after_pubcomp_is_a_new_message(tenet):  # [MQTT-4.3.3-2] (3.1.1)
    sub = tenet.connect("p6s")
    sub.send("82 09  00 01  00 04 70 36 2f 61  02")          # SUBSCRIBE "p6/a" QoS 2
    sub.expect("90 03 00 01 02")
    pub = tenet.connect("p6p")
    for payload in ("6f 6e 65", "74 77 6f"):                  # "one", "two", both with id 7
        pub.send("34 0b  00 04 70 36 2f 61  00 07 " + payload)
        pub.expect("50 02 00 07")
        pub.send("62 02 00 07")
        pub.expect("70 02 00 07")
    assert sub.receive().payload == b"one"
    assert sub.receive().payload == b"two"


def test_v3_pubrel_for_unknown_id_gets_pubcomp(tenet):  # [MQTT-4.3.3-1] receiver answers every PUBREL
    c = tenet.connect("p7")
    c.send("62 02 00 99")
    c.expect("70 02 00 99")


def test_v5_pubrel_for_unknown_id_gets_pubcomp(tenet):
    c = tenet.connect("p7b", v5=True)
    c.send("62 02 00 99")
    a = P.parse_ack(c.expect_type(P.PUBCOMP), v5=True)
    assert a.pid == 0x99 and a.codes[0] in (0x00, 0x92)  # 0x92 = packet identifier not found


@pytest.mark.parametrize("sub_qos,pub_qos", [(0, 1), (0, 2), (1, 2), (2, 0), (1, 0)])
def test_delivery_qos_is_the_minimum_of_publish_and_subscription(tenet, uid, sub_qos, pub_qos):
    # [MQTT-3.8.4-6] (3.1.1): never above the granted QoS; never upgraded either (section 3.8.4)
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/q", sub_qos)]) == [sub_qos]
    pub = tenet.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "x", qos=pub_qos, pid=9)
    m = sub.receive()
    assert m.qos == min(sub_qos, pub_qos)
    assert (m.pid is None) == (m.qos == 0)


def test_v3_publisher_reaches_v5_subscriber_exactly(tenet):
    sub = tenet.connect("p8s", v5=True)
    sub.send("82 0a  00 01  00  00 04 70 38 2f 61  00")      # v5 SUBSCRIBE "p8/a" QoS 0
    a = P.parse_ack(sub.expect_type(P.SUBACK), v5=True)
    assert a.codes == [0]
    pub = tenet.connect("p8p")
    pub.send("30 0b  00 04 70 38 2f 61  68 65 6c 6c 6f")      # v3 PUBLISH "hello"
    sub.expect("30 0c  00 04 70 38 2f 61  00  68 65 6c 6c 6f")  # v5 PUBLISH, empty property block


def test_v5_publisher_reaches_v3_subscriber_without_properties(tenet):
    sub = tenet.connect("p9s")
    sub.send("82 09  00 01  00 04 70 39 2f 61  01")          # SUBSCRIBE "p9/a" QoS 1
    sub.expect("90 03 00 01 01")
    pub = tenet.connect("p9p", v5=True)
    # v5 PUBLISH QoS 0 "hello" with Content Type "t" and User Property ("k","v")
    pub.send("30 17  00 04 70 39 2f 61  0b 03 00 01 74 26 00 01 6b 00 01 76  68 65 6c 6c 6f")
    sub.expect("30 0b  00 04 70 39 2f 61  68 65 6c 6c 6f")


def test_v5_message_properties_are_forwarded(tenet, uid):
    # [MQTT-3.3.2-4] payload format, [MQTT-3.3.2-6] expiry, [MQTT-3.3.2-15] response topic,
    # [MQTT-3.3.2-16] correlation data, [MQTT-3.3.2-17]/[MQTT-3.3.2-18] user properties in order,
    # [MQTT-3.3.2-20] content type
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", 2)]) == [2]
    pub = tenet.connect(f"{uid}p", v5=True)
    sent = P.props(
        (P.P_PAYLOAD_FORMAT, 1), (P.P_MESSAGE_EXPIRY, 60), (P.P_CONTENT_TYPE, "text/plain"),
        (P.P_RESPONSE_TOPIC, f"{uid}/reply"), (P.P_CORRELATION_DATA, b"\x01\x02\xff"),
        (P.P_USER_PROPERTY, ("a", "1")), (P.P_USER_PROPERTY, ("b", "2")), (P.P_USER_PROPERTY, ("a", "3")))
    assert pub.publish(f"{uid}/t", "héllo", qos=2, pid=4, properties=sent) == 0
    m = sub.receive()
    assert m.payload == "héllo".encode()
    pr = m.props
    assert pr.get(P.P_PAYLOAD_FORMAT) == 1
    assert 55 <= pr.get(P.P_MESSAGE_EXPIRY, -1) <= 60
    assert pr.get(P.P_CONTENT_TYPE) == "text/plain"
    assert pr.get(P.P_RESPONSE_TOPIC) == f"{uid}/reply"
    assert pr.get(P.P_CORRELATION_DATA) == b"\x01\x02\xff"
    assert pr.all(P.P_USER_PROPERTY) == [("a", "1"), ("b", "2"), ("a", "3")]
    assert P.P_TOPIC_ALIAS not in pr.ids() and P.P_SUBSCRIPTION_ID not in pr.ids(), m


def test_v5_topic_alias_from_client_is_resolved(tenet, uid):  # v5 3.3.2.3.4
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/#", 0)]) == [0]
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/a", "1", properties=P.props((P.P_TOPIC_ALIAS, 1)))   # set alias 1
    pub.publish("", "2", properties=P.props((P.P_TOPIC_ALIAS, 1)))           # use it
    pub.publish(f"{uid}/b", "3", properties=P.props((P.P_TOPIC_ALIAS, 1)))   # re-map it
    pub.publish("", "4", properties=P.props((P.P_TOPIC_ALIAS, 1)))
    got = [sub.expect_publish() for _ in range(4)]
    assert [(m.topic, m.payload) for m in got] == [
        (f"{uid}/a", b"1"), (f"{uid}/a", b"2"), (f"{uid}/b", b"3"), (f"{uid}/b", b"4")]
    # the subscriber set no Topic Alias Maximum, so the server must not send aliases [MQTT-3.2.2-18]
    assert all(P.P_TOPIC_ALIAS not in m.props.ids() for m in got)


def test_v5_no_local_suppresses_own_messages(tenet, uid):  # [MQTT-3.8.3-3] (5.0)
    c = tenet.connect(uid, v5=True)
    assert c.subscribe(1, [(f"{uid}/t", 0x04 | 1)]) == [1]
    c.publish(f"{uid}/t", "own", qos=1, pid=2)
    other = tenet.connect(f"{uid}o", v5=True)
    other.publish(f"{uid}/t", "other", qos=1, pid=2)
    assert c.receive().payload == b"other", "No Local subscription received its own message"


def test_without_no_local_own_messages_come_back(tenet, uid):
    c = tenet.connect(uid, v5=True)
    assert c.subscribe(1, [(f"{uid}/t", 1)]) == [1]
    c.publish(f"{uid}/t", "own", qos=1, pid=2)
    assert c.receive().payload == b"own"


def test_v5_puback_without_subscribers(tenet, uid):
    c = tenet.connect(uid, v5=True)
    assert c.publish(f"{uid}/nobody", "x", qos=1, pid=1) in (0x00, 0x10)  # 0x10 = no matching subscribers


def test_messages_from_one_publisher_keep_their_order(tenet, uid):  # [MQTT-4.6.0-6] (3.1.1)
    sub = tenet.connect(f"{uid}s")
    assert sub.subscribe(1, [(f"{uid}/o", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    for i in range(30):
        pub.send(P.publish(f"{uid}/o", str(i), qos=1, pid=i + 1))
    for i in range(30):
        pub.expect(P.ack(P.PUBACK, i + 1))
    assert [sub.receive().payload for _ in range(30)] == [str(i).encode() for i in range(30)]


def test_large_payload_is_forwarded_intact(tenet, uid):
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/big", 1)]) == [1]
    pub = tenet.connect(f"{uid}p")
    payload = bytes(range(256)) * 800  # 204800 bytes: under the 262144-byte default limit
    pub.publish(f"{uid}/big", payload, qos=1, pid=1)
    m = sub.receive(timeout=10)
    assert m.payload == payload


def test_packet_ids_are_independent_per_direction(tenet, uid):  # MQTT 2.3.1: ids are per direction
    # The client may use id 1 for its own QoS 1 publish while the server uses any id towards it.
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/x", 1)]) == [1]
    c.send(P.publish(f"{uid}/x", "a", qos=1, pid=1))
    got = [c.recv(), c.recv()]
    kinds = sorted(p.type for p in got)
    assert kinds == [P.PUBLISH, P.PUBACK], got
    ack = next(p for p in got if p.type == P.PUBACK)
    assert ack.raw == h("40 02 00 01")
    m = P.parse_publish(next(p for p in got if p.type == P.PUBLISH), v5=False)
    c.send(P.ack(P.PUBACK, m.pid))
    c.ping()


def test_v5_request_problem_information_0_suppresses_reason_strings(tenet, uid):  # [MQTT-3.1.2-29]
    c = tenet.connect(uid, v5=True, properties=P.props((P.P_REQUEST_PROBLEM_INFO, 0)))
    c.send(P.subscribe(1, [(f"{uid}/#/x", 0), (f"{uid}/ok", 0)], v5=True))
    pkt = c.expect_type(P.SUBACK)
    a = P.parse_ack(pkt, v5=True)
    assert a.codes == [0x8F, 0x00]
    assert not ({P.P_REASON_STRING, P.P_USER_PROPERTY} & a.props.ids()), \
        f"Reason String / User Property sent although the client asked for none: {pkt}"


def test_empty_payload_is_delivered(tenet, uid):  # a zero-length payload is valid (3.3.3)
    c = tenet.connect(uid)
    assert c.subscribe(1, [(f"{uid}/e", 1)]) == [1]
    c.publish(f"{uid}/e", b"", qos=1)
    m = c.receive()
    assert (m.topic, m.payload) == (f"{uid}/e", b"")


def test_qos1_and_qos2_acks_come_in_publish_order(tenet, uid):  # [MQTT-4.6.0-2] [MQTT-4.6.0-3]
    sub = tenet.connect(f"{uid}s", clean=False)  # a persistent subscriber, so messages hit the store
    assert sub.subscribe(1, [(f"{uid}/o", 2)]) == [2]
    sub.disconnect()
    pub = tenet.connect(f"{uid}p")
    wire = b"".join(P.publish(f"{uid}/o", str(i), qos=1 + i % 2, pid=i + 1) for i in range(20))
    pub.send(wire)  # 20 PUBLISHes in one write, QoS 1 and 2 alternating
    for i in range(20):
        pub.expect(P.ack(P.PUBACK if i % 2 == 0 else P.PUBREC, i + 1))
    rel = b"".join(P.ack(P.PUBREL, i + 1) for i in range(1, 20, 2))
    pub.send(rel)
    for i in range(1, 20, 2):  # [MQTT-4.6.0-4]: PUBCOMP in PUBREL order
        pub.expect(P.ack(P.PUBCOMP, i + 1))
    c = tenet.connect(f"{uid}s", clean=False, expect_present=True)
    assert [c.receive().payload for _ in range(20)] == [str(i).encode() for i in range(20)]
    c.disconnect()
    tenet.connect(f"{uid}s").disconnect()


def test_v5_server_topic_aliases_stay_within_client_maximum(tenet, uid):  # [MQTT-3.3.2-10] [MQTT-3.3.2-11] (5.0)
    # The server MAY use aliases when the client allows them; if it does, they must be in range and
    # resolve to the right topic.
    sub = tenet.connect(f"{uid}s", v5=True, properties=P.props((P.P_TOPIC_ALIAS_MAXIMUM, 2)))
    assert sub.subscribe(1, [(f"{uid}/#", 0)]) == [0]
    pub = tenet.connect(f"{uid}p", v5=True)
    topics = [f"{uid}/{t}" for t in "abcabcaab"]
    for i, t in enumerate(topics):
        pub.publish(t, str(i), qos=1, pid=i + 1)
    aliases: dict[int, str] = {}
    for i, t in enumerate(topics):
        m = sub.expect_publish()
        alias = m.props.get(P.P_TOPIC_ALIAS)
        if alias is not None:
            assert 1 <= alias <= 2, f"alias {alias} outside the client's Topic Alias Maximum 2"
            if m.topic:
                aliases[alias] = m.topic
            assert alias in aliases, "alias used before it was set"
        topic = m.topic or aliases[alias]
        assert (topic, m.payload) == (t, str(i).encode())


def test_v5_pubrec_with_error_ends_the_qos2_flow(tenet, uid):  # 5.0 4.3.3: no PUBREL after PUBREC >= 0x80
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", 2)]) == [2]
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "refused", qos=2, pid=1)
    m = sub.expect_publish()
    sub.send(bytes([0x50, 0x03]) + m.pid.to_bytes(2, "big") + b"\x80")  # PUBREC, 0x80 unspecified error
    pub.publish(f"{uid}/t", "next", qos=0)
    pkt = sub.recv()
    assert pkt.type == P.PUBLISH and P.parse_publish(pkt, True).payload == b"next", \
        f"expected the next message, got {pkt!r} (no PUBREL may follow a failed PUBREC)"


def test_v5_long_form_acks_from_client_are_accepted(tenet, uid):  # 5.0 3.4.2: reason code + properties
    sub = tenet.connect(f"{uid}s", v5=True)
    assert sub.subscribe(1, [(f"{uid}/t", 2)]) == [2]
    pub = tenet.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/t", "one", qos=1, pid=1)
    m = sub.expect_publish()
    pid = m.pid.to_bytes(2, "big")
    # PUBACK, reason 0x00, Reason String "ok"
    sub.send(h("40 09") + pid + h("00  05 1f 00 02 6f 6b"))
    pub.publish(f"{uid}/t", "two", qos=2, pid=2)
    m = sub.expect_publish()
    pid = m.pid.to_bytes(2, "big")
    sub.send(h("50 04") + pid + h("00 00"))                 # PUBREC, reason 0x00, empty properties
    rel = sub.expect_type(P.PUBREL)
    assert P.parse_ack(rel, True).pid == m.pid and P.parse_ack(rel, True).codes == [0]
    sub.send(h("70 04") + pid + h("00 00"))                 # PUBCOMP, reason 0x00, empty properties
    sub.ping()
