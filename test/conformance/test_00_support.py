"""00: the test-side packet builders and frame reader, checked against hand-written hex.

Everything the other suites send with `support.packets` builders is pinned here to bytes typed from
the specifications, so a bug in the helpers cannot hide a broker bug (or invent one).
"""

import pytest

from support import packets as P
from support.packets import h


@pytest.mark.parametrize("value,encoded", [
    (0, "00"), (127, "7f"), (128, "80 01"), (16_383, "ff 7f"), (16_384, "80 80 01"),
    (2_097_151, "ff ff 7f"), (2_097_152, "80 80 80 01"), (268_435_455, "ff ff ff 7f"),
])
def test_varint_matches_spec_table(value, encoded):  # MQTT 5.0 table 1-1 (3.1.1 table 2.4)
    assert P.varint(value) == h(encoded)
    assert P.read_varint(h(encoded), 0) == (value, len(h(encoded)))


def test_connect_v3_builder():
    assert P.connect("c1") == h("10 0e  00 04 4d 51 54 54  04  02  00 3c  00 02 63 31")
    assert P.connect("c1", clean=False, keepalive=10, username="u", password=b"p") == h(
        "10 14  00 04 4d 51 54 54  04  c0  00 0a  00 02 63 31  00 01 75  00 01 70")
    assert P.connect("c1", will_topic="w", will_payload=b"x", will_qos=1, will_retain=True) == h(
        "10 14  00 04 4d 51 54 54  04  2e  00 3c  00 02 63 31  00 01 77  00 01 78")


def test_connect_v5_builder():
    assert P.connect("c1", v5=True) == h("10 0f  00 04 4d 51 54 54  05  02  00 3c  00  00 02 63 31")
    assert P.connect("", v5=True, clean=False, properties=P.props((P.P_SESSION_EXPIRY, 60))) == h(
        "10 12  00 04 4d 51 54 54  05  00  00 3c  05 11 00 00 00 3c  00 00")
    assert P.connect("c", v5=True, will_topic="w", will_payload=b"x",
                     will_properties=P.props((P.P_WILL_DELAY, 2))) == h(
        "10 1a  00 04 4d 51 54 54  05  06  00 3c  00  00 01 63  05 18 00 00 00 02  00 01 77  00 01 78")


def test_publish_subscribe_builders():
    assert P.publish("a/b", "hi") == h("30 07  00 03 61 2f 62  68 69")
    assert P.publish("a/b", "hi", qos=1, pid=10, retain=True) == h("33 09  00 03 61 2f 62  00 0a  68 69")
    assert P.publish("a/b", "hi", qos=2, pid=10, dup=True, v5=True) == h(
        "3c 0a  00 03 61 2f 62  00 0a  00  68 69")
    assert P.subscribe(7, [("a/b", 1)], v5=True) == h("82 09  00 07  00  00 03 61 2f 62  01")
    assert P.subscribe(1, [("a", 0), ("b", 2)]) == h("82 0a  00 01  00 01 61 00  00 01 62 02")
    assert P.unsubscribe(2, ["a/b"]) == h("a2 07  00 02  00 03 61 2f 62")
    assert P.unsubscribe(2, ["a/b"], v5=True) == h("a2 08  00 02  00  00 03 61 2f 62")
    assert P.ack(P.PUBREL, 0x1234) == h("62 02 12 34")
    assert P.ack(P.PUBCOMP, 5) == h("70 02 00 05")


def test_property_block():
    assert P.props((P.P_USER_PROPERTY, ("k", "v")), (P.P_CONTENT_TYPE, "t")) == h(
        "0b  26 00 01 6b 00 01 76  03 00 01 74")
    pr, end = P.parse_props(h("0b  26 00 01 6b 00 01 76  03 00 01 74"), 0)
    assert pr == [(0x26, ("k", "v")), (0x03, "t")] and end == 12


def test_frame_reader_needs_whole_packets():
    data = h("30 07 00 03 61 2f 62 68 69  d0 00")
    assert P.try_frame(data[:5]) is None
    pkt, n = P.try_frame(data)
    assert (pkt.type, pkt.flags, pkt.body, n) == (P.PUBLISH, 0, h("00 03 61 2f 62 68 69"), 9)
    pkt, n = P.try_frame(data[9:])
    assert pkt.raw == h("d0 00") and n == 2
    big = P.frame(0x30, bytes(300))
    assert big[:3] == h("30 ac 02") and P.try_frame(big)[1] == 303
    with pytest.raises(ValueError):
        P.try_frame(h("30 ff ff ff ff 01"))


def test_parsers():
    ok = P.parse_connack(P.try_frame(h("20 08  01 00  05 21 00 64 29 00"))[0], v5=True)
    assert ok.session_present and ok.code == 0
    assert ok.props.get(P.P_RECEIVE_MAXIMUM) == 100 and ok.props.get(P.P_SUB_ID_AVAILABLE) == 0
    with pytest.raises(AssertionError):  # a stray byte after the property block is caught
        P.parse_connack(P.try_frame(h("20 09  00 00  05 21 00 64 29 00  ff"))[0], v5=True)
    m = P.parse_publish(P.try_frame(h("3b 0c  00 03 61 2f 62  00 07  02 01 01  68 69"))[0], v5=True)
    assert (m.topic, m.qos, m.dup, m.retain, m.pid, m.payload) == ("a/b", 1, True, True, 7, b"hi")
    assert m.props.get(P.P_PAYLOAD_FORMAT) == 1
    assert P.parse_ack(P.try_frame(h("40 02 00 07"))[0], v5=True).codes == [0]
    assert P.parse_ack(P.try_frame(h("40 03 00 07 10"))[0], v5=True).codes == [0x10]
    assert P.parse_ack(P.try_frame(h("90 05 00 01 00 01 80"))[0], v5=True).codes == [0x01, 0x80]
    assert P.parse_ack(P.try_frame(h("90 03 00 01 80"))[0], v5=False).codes == [0x80]
    assert P.disconnect_reason(P.try_frame(h("e0 00"))[0]) == 0
    assert P.disconnect_reason(P.try_frame(h("e0 02 8e 00"))[0]) == 0x8E
