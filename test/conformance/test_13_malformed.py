"""13 malformed: a malformed packet or protocol violation closes that connection and nothing else.

Each case connects a victim (v3 or v5) and a bystander, sends the bad bytes on the victim, and
checks: v3 victim closed with nothing sent back [MQTT-4.8.0-1]; v5 victim gets DISCONNECT with the
reason the MQTT 5 spec gives (0x81 Malformed Packet, 0x82 Protocol Error; a set where the spec
leaves the choice open) and is closed [MQTT-4.13.1-1]; the bystander still publishes and receives,
and new connections are still accepted.
"""

import pytest

from support import packets as P
from support.packets import h

MALFORMED, PROTOCOL = {0x81}, {0x82}
EITHER = {0x81, 0x82}

# (name, v3 bytes or None, v5 bytes or None, v5 reasons). Topic "a/b" = 61 2f 62.
CASES = [
    # fixed header flags [MQTT-2.2.2-2]
    ("publish-qos-3", "36 09  00 03 61 2f 62  00 01  68 69", "36 0a  00 03 61 2f 62  00 01  00  68 69",
     MALFORMED),  # [MQTT-3.3.1-4]
    ("subscribe-flags-0000", "80 08  00 01  00 03 61 2f 62  00", "80 09  00 01  00  00 03 61 2f 62  00",
     MALFORMED),  # [MQTT-3.8.1-1]
    ("unsubscribe-flags-0000", "a0 07  00 01  00 03 61 2f 62", "a0 08  00 01  00  00 03 61 2f 62",
     MALFORMED),  # [MQTT-3.10.1-1]
    ("pubrel-flags-0000", "60 02  00 01", "60 02  00 01", MALFORMED),  # [MQTT-3.6.1-1]
    ("puback-flags-0001", "41 02  00 01", "41 02  00 01", MALFORMED),
    ("pingreq-flags-0001", "c1 00", "c1 00", MALFORMED),
    ("disconnect-flags-0001", "e1 00", "e1 00", MALFORMED),  # [MQTT-3.14.1-1]
    # remaining length
    ("remaining-length-5-bytes", "30 ff ff ff ff 01", "30 ff ff ff ff 01", MALFORMED),  # at most 4 bytes
    ("topic-length-past-end", "30 04  00 09 61 2f", "30 04  00 09 61 2f", MALFORMED),
    ("pingreq-with-body", "c0 01  00", "c0 01  00", MALFORMED),
    # UTF-8 [MQTT-1.5.3-1] [MQTT-1.5.3-2] (5.0: [MQTT-1.5.4-1] [MQTT-1.5.4-2])
    ("topic-overlong-utf8", "30 06  00 02 c0 af  68 69", "30 07  00 02 c0 af  00  68 69", MALFORMED),
    ("topic-surrogate-utf8", "30 09  00 05 61 2f ed a0 80  68 69", "30 0a  00 05 61 2f ed a0 80  00  68 69",
     MALFORMED),
    ("topic-nul-char", "30 07  00 03 61 00 62  68 69", "30 08  00 03 61 00 62  00  68 69", MALFORMED),
    # PUBLISH semantics
    ("topic-with-wildcard", "30 07  00 03 61 2f 23  68 69", "30 08  00 03 61 2f 23  00  68 69",
     {0x81, 0x82, 0x90}),  # [MQTT-3.3.2-2]
    ("topic-empty", "30 04  00 00  68 69", "30 05  00 00  00  68 69", PROTOCOL),  # [MQTT-4.7.3-1] / 5.0 3.3.2.1
    ("publish-qos1-packet-id-0", "32 09  00 03 61 2f 62  00 00  68 69", "32 0a  00 03 61 2f 62  00 00  00  68 69",
     EITHER),  # [MQTT-2.3.1-1] (5.0 [MQTT-2.2.1-3])
    # SUBSCRIBE / UNSUBSCRIBE payloads
    ("subscribe-no-filters", "82 02  00 01", "82 03  00 01  00", PROTOCOL),  # [MQTT-3.8.3-3] (5.0 [MQTT-3.8.3-2])
    ("subscribe-qos-3", "82 08  00 01  00 03 61 2f 62  03", "82 09  00 01  00  00 03 61 2f 62  03",
     PROTOCOL),  # [MQTT-3-8.3-4]; 5.0 3.8.3.1: Maximum QoS 3 is a Protocol Error
    ("subscribe-reserved-option-bits", "82 08  00 01  00 03 61 2f 62  41", "82 09  00 01  00  00 03 61 2f 62  c1",
     MALFORMED),  # [MQTT-3-8.3-4] (5.0 [MQTT-3.8.3-5])
    ("subscribe-packet-id-0", "82 08  00 00  00 03 61 2f 62  00", "82 09  00 00  00  00 03 61 2f 62  00",
     EITHER),  # [MQTT-2.3.1-1]
    ("unsubscribe-no-filters", "a2 02  00 01", "a2 03  00 01  00", PROTOCOL),  # [MQTT-3.10.3-2]
    ("subscribe-truncated-filter", "82 06  00 01  00 09 61 2f", "82 07  00 01  00  00 09 61 2f", MALFORMED),
    # packet types a client must not send
    ("reserved-type-0", "00 00", "00 00", EITHER),
    ("auth-packet", "f0 00", "f0 00", PROTOCOL),  # no AUTH in 3.1.1; 5.0: no authentication method was set
    ("connack-from-client", "20 02 00 00", "20 03 00 00 00", EITHER),
    ("suback-from-client", "90 03 00 01 00", "90 04 00 01 00 00", EITHER),
    ("pingresp-from-client", "d0 00", "d0 00", EITHER),
    # v5 retain handling 3 (5.0 3.8.3.1)
    ("subscribe-retain-handling-3", None, "82 09  00 01  00  00 03 61 2f 62  30", PROTOCOL),
    # v5 properties (5.0 2.2.2.2)
    ("property-twice", None, "30 0c  00 03 61 2f 62  04 01 00 01 00  68 69", PROTOCOL),
    ("property-unknown-id", None, "30 0a  00 03 61 2f 62  02 7f 00  68 69", MALFORMED),
    ("property-wrong-packet", None, "30 0d  00 03 61 2f 62  05 11 00 00 00 0a  68 69", MALFORMED),
    ("property-length-past-end", None, "30 08  00 03 61 2f 62  09 01 01", MALFORMED),
    ("publish-subscription-id", None, "30 0a  00 03 61 2f 62  02 0b 01  68 69", PROTOCOL),  # [MQTT-3.3.4-6]
    ("user-property-bad-utf8", None, "30 0f  00 03 61 2f 62  07 26 00 01 ff 00 01 76  68 69", MALFORMED),
    ("content-type-nul", None, "30 0c  00 03 61 2f 62  04 03 00 01 00  68 69", MALFORMED),
]


def _bystander(srv, uid):
    b = srv.connect(f"{uid}by", v5=True, label="bystander")
    assert b.subscribe(1, [(f"{uid}/alive", 1)]) == [1]
    return b


def _still_serving(srv, bystander, uid):
    bystander.publish(f"{uid}/alive", "still here", qos=1, pid=2)
    assert bystander.receive().payload == b"still here"
    srv.connect(f"{uid}new").ping()


@pytest.mark.parametrize("name,v3,v5,reasons", [c for c in CASES if c[1]], ids=[c[0] for c in CASES if c[1]])
def test_v3_violation_closes_only_that_connection(tenet, uid, name, v3, v5, reasons):
    by = _bystander(tenet, uid)
    victim = tenet.connect(f"{uid}v", label="victim")
    victim.send(v3)
    got = victim.expect_closed()
    assert got == [], f"v3 has no way to report this; got {got!r}"
    _still_serving(tenet, by, uid)


@pytest.mark.parametrize("name,v3,v5,reasons", [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_v5_violation_disconnects_with_reason_and_closes_only_that_connection(tenet, uid, name, v3, v5, reasons):
    by = _bystander(tenet, uid)
    victim = tenet.connect(f"{uid}v", v5=True, label="victim")
    victim.send(v5)
    victim.expect_disconnect(reasons)
    _still_serving(tenet, by, uid)


# Bad CONNECT packets: there is no session yet, so v3 gets a close; v5 may get a CONNACK with the reason.
CONNECT_CASES = [
    ("reserved-flag", "10 0f  00 04 4d 51 54 54  04  03  00 3c  00 03 6d 31 61",
     "10 10  00 04 4d 51 54 54  05  03  00 3c  00  00 03 6d 31 61"),  # [MQTT-3.1.2-3]
    ("will-qos-3", "10 15  00 04 4d 51 54 54  04  1e  00 3c  00 03 6d 31 62  00 01 77  00 01 78",
     "10 17  00 04 4d 51 54 54  05  1e  00 3c  00  00 03 6d 31 62  00  00 01 77  00 01 78"),  # [MQTT-3.1.2-14]
    ("will-qos-without-will-flag", "10 0f  00 04 4d 51 54 54  04  0a  00 3c  00 03 6d 31 63",
     "10 10  00 04 4d 51 54 54  05  0a  00 3c  00  00 03 6d 31 63"),  # [MQTT-3.1.2-13]
    ("will-retain-without-will-flag", "10 0f  00 04 4d 51 54 54  04  22  00 3c  00 03 6d 31 64",
     "10 10  00 04 4d 51 54 54  05  22  00 3c  00  00 03 6d 31 64"),  # [MQTT-3.1.2-15]
    ("client-id-bad-utf8", "10 0e  00 04 4d 51 54 54  04  02  00 3c  00 02 c0 af",
     "10 0f  00 04 4d 51 54 54  05  02  00 3c  00  00 02 c0 af"),  # [MQTT-1.5.3-1]
    ("truncated-payload", "10 0f  00 04 4d 51 54 54  04  02  00 3c  00 09 6d 31 65",
     "10 10  00 04 4d 51 54 54  05  02  00 3c  00  00 09 6d 31 65"),
    ("will-topic-wildcard", "10 16  00 04 4d 51 54 54  04  06  00 3c  00 03 6d 31 68  00 03 77 2f 23  00 00",
     "10 18  00 04 4d 51 54 54  05  06  00 3c  00  00 03 6d 31 68  00  00 03 77 2f 23  00 00"),  # [MQTT-3.3.2-2]
    ("connect-flags-in-header", "11 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 6d 31 66",
     "11 10  00 04 4d 51 54 54  05  02  00 3c  00  00 03 6d 31 66"),  # [MQTT-2.2.2-2]
]


# v5-only CONNECT property errors (5.0 3.1.2.11): values the spec calls a Protocol Error.
V5_CONNECT_CASES = [
    ("receive-maximum-0", "10 13  00 04 4d 51 54 54  05  02  00 3c  03 21 00 00  00 03 6d 32 61"),
    ("maximum-packet-size-0", "10 15  00 04 4d 51 54 54  05  02  00 3c  05 27 00 00 00 00  00 03 6d 32 62"),
    ("request-problem-info-2", "10 12  00 04 4d 51 54 54  05  02  00 3c  02 17 02  00 03 6d 32 63"),
    ("session-expiry-twice", "10 1a  00 04 4d 51 54 54  05  02  00 3c  0a 11 00 00 00 0a 11 00 00 00 0b"
                             "  00 03 6d 32 64"),
    ("will-property-topic-alias", "10 1a  00 04 4d 51 54 54  05  06  00 3c  00  00 03 6d 32 65"
                                  "  03 23 00 01  00 01 77  00 01 78"),  # not a will property: malformed
]


@pytest.mark.parametrize("name,v5", V5_CONNECT_CASES, ids=[c[0] for c in V5_CONNECT_CASES])
def test_v5_connect_property_errors_are_refused(tenet, uid, name, v5):
    by = _bystander(tenet, uid)
    c = tenet.open(label="victim")
    c.send(v5)
    got = c.expect_closed()
    assert len(got) <= 1, got
    if got:
        ack = P.parse_connack(got[0], v5=True)
        assert ack.code in EITHER and not ack.session_present, got
    _still_serving(tenet, by, uid)


@pytest.mark.parametrize("name,v3,v5", CONNECT_CASES, ids=[c[0] for c in CONNECT_CASES])
def test_v3_bad_connect_is_closed_without_session(tenet, uid, name, v3, v5):
    by = _bystander(tenet, uid)
    c = tenet.open(label="victim")
    c.send(v3)
    got = c.expect_closed()
    # [MQTT-3.1.4-1]: close without CONNACK. Tolerated: return code 2 for an ill-formed client id, and
    # any refusal for a will topic with a wildcard (3.1.1 forbids wildcards only in topic names).
    tolerated = {"client-id-bad-utf8": [h("20 02 00 02")],
                 "will-topic-wildcard": [h("20 02 00 02"), h("20 02 00 05")]}.get(name, [])
    assert got == [] or (len(got) == 1 and got[0].raw in tolerated), got
    _still_serving(tenet, by, uid)


@pytest.mark.parametrize("name,v3,v5", CONNECT_CASES, ids=[c[0] for c in CONNECT_CASES])
def test_v5_bad_connect_is_refused(tenet, uid, name, v3, v5):
    by = _bystander(tenet, uid)
    c = tenet.open(label="victim")
    c.send(v5)
    got = c.expect_closed()
    if got:  # [MQTT-3.2.2-7]: a CONNACK with a reason >= 0x80, then the close
        assert len(got) == 1, got
        ack = P.parse_connack(got[0], v5=True)
        assert ack.code in {0x81, 0x82, 0x85, 0x90} and not ack.session_present, got
    _still_serving(tenet, by, uid)


def test_v3_password_without_username_is_refused(tenet, uid):  # [MQTT-3.1.2-22]
    by = _bystander(tenet, uid)
    c = tenet.open(label="victim")
    c.send("10 14  00 04 4d 51 54 54  04  42  00 3c  00 03 6d 31 67  00 03 70 77 64")
    got = c.expect_closed()
    assert got == [] or [p.raw for p in got] == [h("20 02 00 04")], got
    _still_serving(tenet, by, uid)


def test_garbage_before_connect_is_closed(tenet, uid):
    by = _bystander(tenet, uid)
    c = tenet.open(label="victim")
    c.send(bytes(range(256)) * 4)
    assert c.expect_closed() == []
    _still_serving(tenet, by, uid)


def test_many_malformed_connections_in_a_row(tenet, uid):
    by = _bystander(tenet, uid)
    bad = [(False, c[1]) for c in CASES if c[1]] + [(True, c[2]) for c in CASES if c[2]]
    for i, (v5, data) in enumerate(bad[::3]):
        c = tenet.connect(f"{uid}v{i}", v5=v5, label=f"victim{i}")
        c.send(data)
        c.expect_closed()
    _still_serving(tenet, by, uid)
