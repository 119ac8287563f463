"""07 keep-alive: the server closes a silent connection after 1.5 x keep-alive [MQTT-3.1.2-24];
any control packet resets the timer; keep-alive 0 or above limits.max_keep_alive becomes the maximum
(v5 clients are told with Server Keep Alive); short keep-alives are honoured (docs/decisions/0001).

Closure is awaited with a deadline, and measured from the CONNACK (the last packet exchanged).
"""

import time

import pytest

from support import packets as P

pytestmark = pytest.mark.slow


def _time_to_close(conn, since: float, timeout: float) -> tuple[float, list]:
    got = conn.expect_closed(timeout)
    return time.monotonic() - since, got


def test_v3_silent_connection_is_closed_after_one_and_a_half_keepalives(tenet):  # [MQTT-3.1.2-24]
    c = tenet.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 01  00 03 6b 61 31")  # keep-alive 1 s, id "ka1"
    c.expect("20 02 00 00")
    start = time.monotonic()
    elapsed, got = _time_to_close(c, start, timeout=5)
    assert got == []
    assert 1.0 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s; keep-alive 1 s allows 1.5 s"


def test_v5_silent_connection_is_closed_with_optional_0x8d(tenet):
    c = tenet.open()
    c.send("10 10  00 04 4d 51 54 54  05  02  00 01  00  00 03 6b 61 32")  # keep-alive 1 s, id "ka2"
    ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
    assert ack.code == 0 and ack.props.get(P.P_SERVER_KEEP_ALIVE, 1) == 1  # a short keep-alive is honoured
    start = time.monotonic()
    elapsed, got = _time_to_close(c, start, timeout=5)
    assert got == [] or (len(got) == 1 and P.disconnect_reason(got[0]) == 0x8D), got  # 0x8D keep alive timeout
    assert 1.0 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s"


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_pingreq_keeps_the_connection_alive(tenet, uid, v5):  # [MQTT-3.12.4-1]
    c = tenet.connect(uid, v5=v5, keepalive=1)
    end = time.monotonic() + 2.4  # well past 1.5 x keep-alive
    while time.monotonic() < end:
        c.send("c0 00")
        c.expect("d0 00")
        # next ping well inside the 1 s keep-alive; this paces the client, it waits for nothing
        time.sleep(0.4)
    assert c.is_open()
    c.ping()


def test_publish_traffic_keeps_the_connection_alive(tenet, uid):  # [MQTT-3.1.2-24]: any control packet
    c = tenet.connect(uid, keepalive=1)
    end = time.monotonic() + 2.4  # well past 1.5 x keep-alive
    i = 0
    while time.monotonic() < end:
        i += 1
        c.publish(f"{uid}/nobody", str(i), qos=1, pid=i)
        time.sleep(0.4)  # client pacing, as above
    c.ping()


def test_will_is_published_on_keepalive_timeout(tenet, uid):  # [MQTT-3.1.2-8]
    w = tenet.connect(f"{uid}w")
    assert w.subscribe(1, [(f"{uid}/will", 0)]) == [0]
    c = tenet.connect(f"{uid}c", keepalive=1, will_topic=f"{uid}/will", will_payload=b"timeout")
    m = w.receive(timeout=5)
    assert m.payload == b"timeout"
    c.expect_closed(timeout=1)


@pytest.mark.parametrize("asked,granted", [(0, 1200), (1300, 1200), (65535, 1200)])
def test_v5_server_keep_alive_replaces_zero_or_too_long(tenet, uid, asked, granted):  # [MQTT-3.2.2-21] (5.0)
    c = tenet.open()
    c.send(P.connect(uid, v5=True, keepalive=asked))
    ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
    assert ack.code == 0 and ack.props.get(P.P_SERVER_KEEP_ALIVE) == granted, ack


@pytest.mark.parametrize("asked", [30, 1200])
def test_v5_acceptable_keep_alive_is_not_overridden(tenet, uid, asked):
    c = tenet.open()
    c.send(P.connect(uid, v5=True, keepalive=asked))
    ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
    assert ack.code == 0 and ack.props.get(P.P_SERVER_KEEP_ALIVE, asked) == asked, ack


@pytest.fixture(scope="module")
def short_max_server(module_tenet_factory):
    return module_tenet_factory(config={"limits": {"max_keep_alive": 1}}, name="tenet(max_keep_alive=1)")


def test_v3_keepalive_zero_is_enforced_as_the_maximum(short_max_server):
    c = short_max_server.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 00  00 03 6b 61 33")  # keep-alive 0: "never" is not allowed
    c.expect("20 02 00 00")
    elapsed, got = _time_to_close(c, time.monotonic(), timeout=5)
    assert got == [] and 1.0 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s; max_keep_alive 1 s allows 1.5 s"


def test_v5_keepalive_zero_is_told_and_enforced(short_max_server):
    c = short_max_server.open()
    c.send("10 10  00 04 4d 51 54 54  05  02  00 00  00  00 03 6b 61 34")
    ack = P.parse_connack(c.expect_type(P.CONNACK), v5=True)
    assert ack.props.get(P.P_SERVER_KEEP_ALIVE) == 1, ack
    elapsed, got = _time_to_close(c, time.monotonic(), timeout=5)
    assert 1.0 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s"


def test_v3_keepalive_above_maximum_is_capped(short_max_server):
    c = short_max_server.open()
    c.send("10 0f  00 04 4d 51 54 54  04  02  00 3c  00 03 6b 61 35")  # keep-alive 60 > max 1
    c.expect("20 02 00 00")
    elapsed, got = _time_to_close(c, time.monotonic(), timeout=5)
    assert got == [] and 1.0 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s"


def test_stalled_partial_packet_still_times_out(tenet, uid):
    # a client that sends half a packet and stops is as silent as one that sends nothing
    c = tenet.connect(uid, keepalive=1)
    c.send("30 0b  00 04 70")
    start = time.monotonic()
    elapsed, got = _time_to_close(c, start, timeout=5)
    assert got == [] and elapsed <= 3.0, f"closed after {elapsed:.2f}s"
