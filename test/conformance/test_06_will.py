"""06 will: published on an abrupt close, not after DISCONNECT; v5 reason 0x04; will delay; will
retain and QoS; will on takeover (docs/decisions/0001); no will on server shutdown.

"Abrupt close" here = the TCP connection dropped without an MQTT DISCONNECT.
"""

import signal
import time

import pytest

from support import packets as P
from support.timing import wait_past


def _watcher(srv, uid, v5=False):
    w = srv.connect(f"{uid}w", v5=v5, label="watcher")
    assert w.subscribe(1, [(f"{uid}/will", 2)]) == [2]
    return w


def _will_client(srv, uid, *, v5=False, **kw):
    kw.setdefault("will_topic", f"{uid}/will")
    kw.setdefault("will_payload", b"gone")
    return srv.connect(f"{uid}c", v5=v5, label="device", **kw)


def _no_will(watcher, srv, uid):
    """Proves no will is pending: a marker on the will topic must be the next message."""
    srv.connect(f"{uid}m").publish(f"{uid}/will", "marker", qos=1)
    m = watcher.receive()
    assert m.payload == b"marker", f"unexpected will: {m}"


def test_v3_will_on_abrupt_close_exact_bytes(tenet):  # [MQTT-3.1.2-8]
    w = tenet.connect("w1w")
    w.send("82 0b  00 01  00 06 77 31 2f 77 69 6c  00")       # SUBSCRIBE "w1/wil" QoS 0
    w.expect("90 03 00 01 00")
    c = tenet.open()
    # CONNECT "w1c", will topic "w1/wil" payload "gone", will QoS 0, no retain
    c.send("10 1d  00 04 4d 51 54 54  04  06  00 3c  00 03 77 31 63  00 06 77 31 2f 77 69 6c  00 04 67 6f 6e 65")
    c.expect("20 02 00 00")
    c.close()
    w.expect("30 0c  00 06 77 31 2f 77 69 6c  67 6f 6e 65")


def test_v5_will_on_abrupt_close(tenet, uid):  # [MQTT-3.1.2-8] (5.0)
    w = _watcher(tenet, uid, v5=True)
    c = _will_client(tenet, uid, v5=True, will_qos=1,
                     will_properties=P.props((P.P_CONTENT_TYPE, "text/plain"), (P.P_USER_PROPERTY, ("why", "lost"))))
    c.close()
    m = w.receive()
    assert (m.topic, m.payload, m.qos, m.retain) == (f"{uid}/will", b"gone", 1, False)
    assert m.props.get(P.P_CONTENT_TYPE) == "text/plain"
    assert m.props.all(P.P_USER_PROPERTY) == [("why", "lost")]


@pytest.mark.parametrize("v5", [False, True], ids=["v3", "v5"])
def test_no_will_after_normal_disconnect(tenet, uid, v5):  # [MQTT-3.1.2-10] (3.1.1) / [MQTT-3.14.4-3] (5.0)
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=v5)
    c.disconnect()  # DISCONNECT, then wait for the server to close the connection
    _no_will(w, tenet, uid)


def test_v5_disconnect_with_will_message_0x04_publishes_will(tenet, uid):  # v5 3.14.2.1
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=True)
    c.send("e0 01 04")
    assert c.expect_closed() == []
    assert w.receive().payload == b"gone"


def test_will_on_protocol_violation(tenet, uid):  # [MQTT-3.1.2-8]: "closes the connection because of a protocol error"
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid)
    c.send("36 07  00 03 61 2f 62  68 69")  # PUBLISH with QoS 3: malformed
    c.expect_closed()
    assert w.receive().payload == b"gone"


def test_will_qos_and_retain(tenet, uid):  # [MQTT-3.1.2-14] [MQTT-3.1.2-17]
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, will_qos=2, will_retain=True)
    c.close()
    m = w.receive()
    assert (m.payload, m.qos, m.retain) == (b"gone", 2, False)  # live delivery: RETAIN 0
    late = tenet.connect(f"{uid}late")
    assert late.subscribe(1, [(f"{uid}/will", 1)]) == [1]
    m = late.receive()
    assert (m.payload, m.qos, m.retain) == (b"gone", 1, True)  # and it was retained
    tenet.connect(f"{uid}x").publish(f"{uid}/will", b"", qos=1, retain=True)


def test_will_of_taken_over_connection_is_published(tenet, uid):  # [MQTT-3.1.4-2]; docs/decisions/0001
    w = _watcher(tenet, uid)
    old = _will_client(tenet, uid)
    tenet.connect(f"{uid}c", label="new")
    assert old.expect_closed() == []
    assert w.receive().payload == b"gone"


@pytest.mark.slow
def test_v5_will_delay_postpones_the_will(tenet, uid):  # v5 3.1.3.2.2
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=True, properties=P.props((P.P_SESSION_EXPIRY, 30)),
                     will_properties=P.props((P.P_WILL_DELAY, 1)))
    c.close()
    dropped = time.monotonic()
    m = w.receive(timeout=6)
    elapsed = time.monotonic() - dropped
    assert m.payload == b"gone"
    assert elapsed >= 0.8, f"will sent after {elapsed:.2f}s, before its 1 s delay"
    tenet.connect(f"{uid}c", v5=True).disconnect()  # clean start: end the session


@pytest.mark.slow
def test_v5_reconnect_within_will_delay_cancels_the_will(tenet, uid):  # [MQTT-3.1.3-9]
    w = _watcher(tenet, uid)
    session = P.props((P.P_SESSION_EXPIRY, 30))
    c = _will_client(tenet, uid, v5=True, properties=session, will_properties=P.props((P.P_WILL_DELAY, 1)))
    c.close()
    dropped = time.monotonic()
    back = tenet.connect(f"{uid}c", v5=True, clean=False, properties=session, expect_present=True)
    wait_past(dropped, 2.0)  # the delay would have run out by now
    _no_will(w, tenet, uid)
    back.send("e0 07  00  05 11 00 00 00 00")


@pytest.mark.slow
def test_v5_will_is_sent_when_session_ends_before_will_delay(tenet, uid):  # v5 3.1.3.2.2
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=True, properties=P.props((P.P_SESSION_EXPIRY, 1)),
                     will_properties=P.props((P.P_WILL_DELAY, 60)))
    c.close()
    m = w.receive(timeout=6)  # session expiry (1 s) comes first
    assert m.payload == b"gone"


def test_v5_will_delay_with_session_expiry_zero_sends_at_once(tenet, uid):
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=True, will_properties=P.props((P.P_WILL_DELAY, 60)))
    c.close()
    assert w.receive(timeout=3).payload == b"gone"


def test_no_will_on_server_shutdown(tenet_factory, uid):  # docs/operations.md: wills not published on shutdown
    srv = tenet_factory()
    w = srv.connect(f"{uid}w", v5=True, label="watcher")
    assert w.subscribe(1, [(f"{uid}/will", 1)]) == [1]
    c = _will_client(srv, uid, v5=True)
    c.ping()
    srv.begin_stop(signal.SIGTERM)
    got = w.expect_closed(timeout=10)
    assert [p.type for p in got] == [P.DISCONNECT] and P.disconnect_reason(got[0]) == 0x8B, got
    assert srv.wait_exit() == 0


def test_v5_disconnect_with_error_reason_publishes_will(tenet, uid):  # [MQTT-3.14.4-3]: only 0x00 discards it
    w = _watcher(tenet, uid)
    c = _will_client(tenet, uid, v5=True)
    c.send("e0 01 80")  # DISCONNECT, reason 0x80 unspecified error
    assert c.expect_closed() == []
    assert w.receive().payload == b"gone"
