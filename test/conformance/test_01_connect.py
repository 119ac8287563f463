"""01 connect: CONNECT/CONNACK for MQTT 3.1.1 and 5.0 over mTLS.

Exact CONNACK bytes for v3; for v5 the fixed part is exact and the properties are checked one by one
(their order is not fixed by the spec).
"""

import pytest

from support import packets as P
from support.packets import h

# CONNECT v3.1.1, client id "c1a", clean session, keep-alive 60.
CONNECT_V3_C1A = "10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 61"
# CONNECT v5, client id "c1b", clean start, keep-alive 60, no properties.
CONNECT_V5_C1B = "10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 63 31 62"


def test_v3_connect_is_accepted_with_connack_0(tenet):  # [MQTT-3.2.0-1] [MQTT-3.2.2-1]
    c = tenet.open()
    c.send(CONNECT_V3_C1A)
    c.expect("20 02 00 00")
    c.ping()


def test_v5_connack_advertises_limits_and_no_subscription_ids(tenet):
    c = tenet.open()
    c.send(CONNECT_V5_C1B)
    pkt = c.expect_type(P.CONNACK)
    assert pkt.raw[:4] == h("20") + pkt.raw[1:2] + h("00 00"), pkt
    ack = P.parse_connack(pkt, v5=True)
    pr = ack.props
    assert pr.get(P.P_RECEIVE_MAXIMUM) == 100, pkt           # limits.receive_maximum
    assert pr.get(P.P_MAXIMUM_PACKET_SIZE) == 262144, pkt    # limits.max_packet_size
    assert pr.get(P.P_TOPIC_ALIAS_MAXIMUM) == 16, pkt        # limits.topic_alias_maximum
    assert pr.get(P.P_SUB_ID_AVAILABLE) == 0, pkt            # subscription identifiers not supported
    assert pr.get(P.P_MAXIMUM_QOS, 2) == 2, pkt              # QoS 2 is supported: absent or 2
    assert pr.get(P.P_RETAIN_AVAILABLE, 1) == 1, pkt
    assert pr.get(P.P_WILDCARD_SUB_AVAILABLE, 1) == 1, pkt
    assert pr.get(P.P_SHARED_SUB_AVAILABLE, 1) == 1, pkt
    assert P.P_ASSIGNED_CLIENT_ID not in pr.ids(), pkt       # only for an empty client id
    assert pr.get(P.P_SERVER_KEEP_ALIVE, 60) == 60, pkt      # 60 s is within limits
    keys = [k for k, _ in pr if k != P.P_USER_PROPERTY]
    assert len(keys) == len(set(keys)), f"a property appears twice: {pkt}"
    c.ping()


def test_v3_session_present_tracks_clean_session(tenet):  # [MQTT-3.2.2-1] [MQTT-3.2.2-2]
    # client id "c1c", clean session 0
    persistent = "10 0f  00 04 4d 51 54 54  04  00  00 3c  00 03 63 31 63"
    clean = "10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 63"
    c = tenet.open()
    c.send(persistent)
    c.expect("20 02 00 00")  # no session yet
    c.disconnect()
    c = tenet.open()
    c.send(persistent)
    c.expect("20 02 01 00")  # resumed
    c.disconnect()
    c = tenet.open()
    c.send(clean)
    c.expect("20 02 00 00")  # clean session 1 always says 0, and discards the session
    c.disconnect()
    c = tenet.open()
    c.send(persistent)
    c.expect("20 02 00 00")
    c.send(P.DISCONNECT_BYTES)


def test_v5_session_present_tracks_clean_start_and_expiry(tenet):
    # client id "c1d", clean start 0, Session Expiry Interval 60
    resume = "10 15  00 04 4d 51 54 54  05  00  00 3c  05 11 00 00 00 3c  00 03 63 31 64"
    # same with clean start 1
    fresh = "10 15  00 04 4d 51 54 54  05  02  00 3c  05 11 00 00 00 3c  00 03 63 31 64"
    for packet, present in [(resume, False), (resume, True), (fresh, False), (resume, True)]:
        c = tenet.open()
        c.send(packet)
        ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
        assert (ack.code, ack.session_present) == (0, present)
        c.disconnect()
    # end the session: clean start 1, expiry 0
    c = tenet.open()
    c.send("10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 63 31 64")
    assert P.parse_connack(c.expect_type(P.CONNACK), v5=True).code == 0


@pytest.mark.parametrize("name,connect", [
    ("mqtt-level-6", "10 0f  00 04 4d 51 54 54  06  02  00 3c  00 03 63 31 65"),
    ("mqtt-level-3", "10 0f  00 04 4d 51 54 54  03  02  00 3c  00 03 63 31 65"),
    ("mqtt-level-0", "10 0f  00 04 4d 51 54 54  00  02  00 3c  00 03 63 31 65"),
])
def test_unsupported_protocol_level_gets_connack_1_then_close(tenet, name, connect):  # [MQTT-3.1.2-2]
    c = tenet.open()
    c.send(connect)
    got = c.expect_closed()
    assert [p.raw for p in got] == [h("20 02 00 01")], got


def test_mqtt_3_1_mqisdp_is_refused(tenet):  # [MQTT-3.1.2-1] [MQTT-3.1.2-2]
    # MQTT 3.1 ("MQIsdp", level 3) is not supported: CONNACK 1 (3.1 and 3.1.1 share that code) or a close.
    c = tenet.open()
    c.send("10 11  00 06 4d 51 49 73 64 70  03  02  00 3c  00 03 63 31 66")
    got = c.expect_closed()
    assert [p.raw for p in got] in ([], [h("20 02 00 01")]), got


def test_wrong_protocol_name_is_closed_without_success(tenet):  # [MQTT-3.1.2-1]
    c = tenet.open()
    c.send("10 0f  00 04 4d 51 54 58  04  02  00 3c  00 03 63 31 67")  # "MQTX"
    got = c.expect_closed()
    assert all(p.type == P.CONNACK and p.body[1] != 0 for p in got), got


def test_v3_second_connect_closes_connection(tenet):  # [MQTT-3.1.0-2]
    c = tenet.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 68")
    c.expect("20 02 00 00")
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 68")
    assert c.expect_closed() == []


def test_v5_second_connect_is_protocol_error(tenet):  # [MQTT-3.1.0-2]
    c = tenet.open()
    c.send("10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 63 31 69")
    assert P.parse_connack(c.expect_type(P.CONNACK), v5=True).code == 0
    c.send("10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 63 31 69")
    c.expect_disconnect(0x82)


@pytest.mark.parametrize("name,first", [
    ("pingreq", "c0 00"),
    ("publish", "30 07  00 03 61 2f 62  68 69"),
    ("subscribe", "82 08  00 01  00 03 61 2f 62  00"),
    ("disconnect", "e0 00"),
])
def test_first_packet_must_be_connect(tenet, name, first):  # [MQTT-3.1.0-1]
    c = tenet.open()
    c.send(first)
    assert c.expect_closed() == []


def test_v3_empty_client_id_with_clean_session_is_accepted(tenet):  # [MQTT-3.1.3-6] [MQTT-3.1.3-7]
    c = tenet.open()
    c.send("10 0c  00 04 4d 51 54 54  04  02  00 3c  00 00")
    c.expect("20 02 00 00")
    c.ping()


def test_v3_empty_client_id_without_clean_session_is_rejected(tenet):  # [MQTT-3.1.3-8]
    c = tenet.open()
    c.send("10 0c  00 04 4d 51 54 54  04  00  00 3c  00 00")
    got = c.expect_closed()
    assert [p.raw for p in got] == [h("20 02 00 02")], got


def test_v5_empty_client_id_gets_assigned_gen_id(tenet):  # [MQTT-3.2.2-16]
    ids = []
    for _ in range(2):
        c = tenet.open()
        c.send("10 0d  00 04 4d 51 54 54  05  02  00 3c  00  00 00")
        ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
        assert ack.code == 0
        assigned = ack.props.get(P.P_ASSIGNED_CLIENT_ID)
        assert assigned is not None and assigned.startswith("$GEN/") and len(assigned) > 5, ack
        ids.append(assigned)
        c.ping()
    assert ids[0] != ids[1]


def test_client_id_of_128_bytes_is_accepted(tenet):
    c = tenet.open()
    c.send(P.connect("k" * 128))
    c.expect("20 02 00 00")


def test_v3_client_id_too_long_is_rejected_with_2(tenet):  # limits.max_client_id_length = 128
    c = tenet.open()
    c.send(P.connect("k" * 129))
    got = c.expect_closed()
    assert [p.raw for p in got] == [h("20 02 00 02")], got


def test_v5_client_id_too_long_is_rejected_with_0x85(tenet):
    c = tenet.open()
    c.send(P.connect("k" * 129, v5=True))
    got = c.expect_closed()
    assert len(got) == 1, got
    ack = P.parse_connack(got[0], v5=True)
    assert (ack.session_present, ack.code) == (False, 0x85), got  # [MQTT-3.2.2-6]


def test_v5_enhanced_authentication_is_refused_with_0x8c(tenet):
    # Authentication Method "SCRAM-SHA-1" (0x15): enhanced auth is not supported.
    c = tenet.open()
    c.send("10 1e  00 04 4d 51 54 54  05  02  00 3c  0e 15 00 0b 53 43 52 41 4d 2d 53 48 41 2d 31"
           "  00 03 63 31 6a")
    got = c.expect_closed()
    assert len(got) == 1 and P.parse_connack(got[0], v5=True).code == 0x8C, got


def test_v5_session_expiry_is_capped_and_reported(tenet):
    # Session Expiry Interval 0xFFFFFFFF ("never") is capped at limits.max_session_expiry (7 days).
    c = tenet.open()
    c.send("10 15  00 04 4d 51 54 54  05  02  00 3c  05 11 ff ff ff ff  00 03 63 31 6b")
    ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
    assert ack.code == 0 and ack.props.get(P.P_SESSION_EXPIRY) == 604800, ack
    # end the session again (DISCONNECT with Session Expiry Interval 0)
    c.send("e0 07  00  05 11 00 00 00 00")
    assert c.expect_closed() == []


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_aws_sdk_username_suffix_is_accepted(tenet, v5):
    # AWS SDKs put "?SDK=...&Platform=..." in the username (reference section 1.3).
    c = tenet.open()
    c.v5 = v5
    c.send(P.connect("c1l", v5=v5, username="?SDK=IoTDeviceSDK/Python&Platform=Linux&Metadata=(k=v)"))
    assert P.parse_connack(c.expect_type(P.CONNACK), v5).code == 0
    c.ping()


def test_user_name_and_password_are_not_credentials(tenet):
    # mTLS authenticates; a username/password pair is accepted and ignored.
    c = tenet.open()
    c.send("10 19  00 04 4d 51 54 54  04  c2  00 3c  00 03 63 31 6d  00 03 62 6f 62  00 03 70 77 64")
    c.expect("20 02 00 00")


@pytest.fixture(scope="module")
def deny_server(module_tenet_factory):
    return module_tenet_factory(authz="deny", name="tenet(deny)")


def test_deny_mode_refuses_v3_with_return_code_5(deny_server):  # [MQTT-3.2.2-4] [MQTT-3.2.2-5]
    c = deny_server.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 6e")
    got = c.expect_closed()
    assert [p.raw for p in got] == [h("20 02 00 05")], got


def test_deny_mode_refuses_v5_with_0x87(deny_server):
    c = deny_server.open()
    c.send("10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 63 31 6f")
    got = c.expect_closed()
    assert len(got) == 1, got
    ack = P.parse_connack(got[0], v5=True)
    assert (ack.session_present, ack.code) == (False, 0x87), got


def test_deny_mode_refuses_even_a_resumed_session(deny_server):
    c = deny_server.open()
    c.send("10 0f  00 04 4d 51 54 54  04  00  00 3c  00 03 63 31 70")
    got = c.expect_closed()
    assert [p.raw for p in got] == [h("20 02 00 05")], got


def test_connect_split_into_single_bytes_is_reassembled(tenet):
    # the server must frame by remaining length, not by TCP/TLS record boundaries
    c = tenet.open()
    for b in h("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 71"):
        c.send(bytes([b]))
    c.expect("20 02 00 00")


def test_pipelined_packets_in_one_write_are_all_processed(tenet):
    # CONNECT "c1r", SUBSCRIBE "c1/r" QoS 0, PUBLISH "c1/r" "x", PINGREQ: one TLS write
    c = tenet.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 63 31 72"
           "82 09  00 01  00 04 63 31 2f 72  00"
           "30 07  00 04 63 31 2f 72  78"
           "c0 00")
    c.expect("20 02 00 00")
    c.expect("90 03 00 01 00")
    c.expect("30 07  00 04 63 31 2f 72  78")
    c.expect("d0 00")


@pytest.mark.parametrize("client_id", ["dev/1:α", "a b", "thing#1+x", "0" * 23])
def test_unusual_but_valid_client_ids_are_accepted(tenet, client_id):  # [MQTT-3.1.3-5]: MAY allow more than 23 alnum
    c = tenet.open()
    c.send(P.connect(client_id))
    c.expect("20 02 00 00")
