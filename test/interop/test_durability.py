"""Durability: persistent sessions, their queued messages and retained messages survive a graceful
restart (SIGTERM, exit 0) and a crash (kill -9) of the server, on the same data dir.

The contract (docs/operations.md): after kill -9, everything that was acknowledged to a publisher
(PUBACK for QoS 1, PUBREC for QoS 2) is in the store.
"""

import signal

import pytest

from support import packets as P

RESTARTS = ["sigterm", "kill9"]
V5_SESSION = P.props((P.P_SESSION_EXPIRY, 3600))


def restart(srv, how):
    if how == "sigterm":
        srv.stop_checked()
    else:
        srv.kill9()
    srv.start()


@pytest.fixture
def srv(tenet_factory):
    return tenet_factory()


@pytest.mark.parametrize("how", RESTARTS)
def test_v3_persistent_session_and_queue_survive(srv, uid, how):
    sub = srv.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 2)]) == [2]
    sub.disconnect()
    pub = srv.connect(f"{uid}p")
    for i in range(20):
        pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1)  # each PUBACKed before the crash
    pub.publish(f"{uid}/q", "q2", qos=2, pid=100)           # PUBREC/PUBREL/PUBCOMP completed
    restart(srv, how)
    c = srv.open()
    c.send(P.connect(f"{uid}s", clean=False))
    c.expect("20 02 01 00")  # session present after the restart
    got = [c.receive() for _ in range(21)]
    assert [m.payload for m in got] == [f"m{i}".encode() for i in range(20)] + [b"q2"]
    assert [m.qos for m in got] == [1] * 20 + [2]
    # the subscription itself survived too
    pub = srv.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "after", qos=1)
    assert c.receive().payload == b"after"


@pytest.mark.parametrize("how", RESTARTS)
def test_v5_persistent_session_and_queue_survive(srv, uid, how):
    sub = srv.connect(f"{uid}s", v5=True, properties=V5_SESSION)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    pub = srv.connect(f"{uid}p", v5=True)
    props = P.props((P.P_CONTENT_TYPE, "text/plain"), (P.P_USER_PROPERTY, ("k", "v")))
    for i in range(10):
        assert pub.publish(f"{uid}/q", f"m{i}", qos=1, pid=i + 1, properties=props) == 0
    restart(srv, how)
    c = srv.connect(f"{uid}s", v5=True, clean=False, properties=V5_SESSION, expect_present=True)
    got = [c.receive() for _ in range(10)]
    assert [m.payload for m in got] == [f"m{i}".encode() for i in range(10)]
    assert all(m.props.get(P.P_CONTENT_TYPE) == "text/plain" for m in got)
    assert all(m.props.all(P.P_USER_PROPERTY) == [("k", "v")] for m in got)


@pytest.mark.parametrize("how", RESTARTS)
def test_inflight_unacknowledged_message_is_redelivered_after_restart(srv, uid, how):  # [MQTT-4.4.0-1]
    sub = srv.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    pub = srv.connect(f"{uid}p")
    pub.publish(f"{uid}/q", "unacked", qos=1)
    first = sub.expect_publish()  # delivered, never PUBACKed
    restart(srv, how)
    c = srv.connect(f"{uid}s", clean=False, expect_present=True)
    m = c.receive()
    assert (m.payload, m.qos) == (b"unacked", 1)
    assert m.pid == first.pid, "re-sent with its original packet identifier [MQTT-4.4.0-1]"
    assert m.dup, "a redelivered QoS 1 message must carry DUP=1 [MQTT-3.3.1-1]"
    c.send(P.ack(P.PUBACK, m.pid))
    c.ping()


@pytest.mark.parametrize("how", RESTARTS)
def test_qos2_acknowledged_with_pubrec_survives_and_completes_once(srv, uid, how):
    sub = srv.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 2)]) == [2]
    sub.disconnect()
    pub = srv.connect(f"{uid}p", clean=False)
    pub.send(P.publish(f"{uid}/q", "exactly once", qos=2, pid=5))
    pub.expect("50 02 00 05")  # PUBREC: the server owns the message now
    restart(srv, how)
    pub = srv.connect(f"{uid}p", clean=False, expect_present=True)
    pub.send("62 02 00 05")    # release it on the resumed session
    pub.expect("70 02 00 05")
    c = srv.connect(f"{uid}s", clean=False, expect_present=True)
    assert c.receive().payload == b"exactly once"
    pub.publish(f"{uid}/q", "marker", qos=1, pid=6)
    assert c.receive().payload == b"marker", "the QoS 2 message was delivered twice"


@pytest.mark.parametrize("how", RESTARTS)
def test_retained_messages_survive(srv, uid, how):
    pub = srv.connect(f"{uid}p", v5=True)
    pub.publish(f"{uid}/a", "first", qos=1, retain=True)
    pub.publish(f"{uid}/b", "second", qos=1, pid=2, retain=True,
                properties=P.props((P.P_CONTENT_TYPE, "text/plain")))
    pub.publish(f"{uid}/c", "deleted", qos=1, pid=3, retain=True)
    pub.publish(f"{uid}/c", b"", qos=1, pid=4, retain=True)
    pub.publish(f"{uid}/a", "replaced", qos=1, pid=5, retain=True)
    restart(srv, how)
    c = srv.connect(f"{uid}s", v5=True)
    assert c.subscribe(1, [(f"{uid}/+", 1)]) == [1]
    got = sorted((m.topic, m.payload, m.retain) for m in (c.receive() for _ in range(2)))
    assert got == [(f"{uid}/a", b"replaced", True), (f"{uid}/b", b"second", True)]
    c.publish(f"{uid}/z", "marker", qos=1, pid=9)
    assert c.receive().payload == b"marker", "a deleted retained message came back"
    c2 = srv.connect(f"{uid}s2", v5=True)
    assert c2.subscribe(1, [(f"{uid}/b", 1)]) == [1]
    assert c2.receive().props.get(P.P_CONTENT_TYPE) == "text/plain"


def test_clean_sessions_do_not_survive(srv, uid):
    c = srv.connect(f"{uid}s", clean=True)
    assert c.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    srv.kill9()
    srv.start()
    srv.connect(f"{uid}s", clean=False, expect_present=False).disconnect()


def test_repeated_crashes_keep_everything(srv, uid):
    sub = srv.connect(f"{uid}s", clean=False)
    assert sub.subscribe(1, [(f"{uid}/q", 1)]) == [1]
    sub.disconnect()
    sent = []
    for round_ in range(3):
        pub = srv.connect(f"{uid}p{round_}")
        for i in range(5):
            payload = f"r{round_}m{i}"
            pub.publish(f"{uid}/q", payload, qos=1, pid=i + 1)
            sent.append(payload.encode())
        srv.kill9()
        srv.start()
    c = srv.connect(f"{uid}s", clean=False, expect_present=True)
    assert [c.receive().payload for _ in range(len(sent))] == sent
    c.disconnect()
    srv.restart()  # and a clean shutdown still exits 0 afterwards


def test_sigint_is_a_graceful_shutdown_too(srv, uid):
    v5 = srv.connect(f"{uid}a", v5=True)
    v3 = srv.connect(f"{uid}b")
    srv.begin_stop(signal.SIGINT)
    got = v5.expect_closed(timeout=10)
    assert len(got) == 1 and P.disconnect_reason(got[0]) == 0x8B, got  # server shutting down
    assert v3.expect_closed(timeout=10) == []
    assert srv.wait_exit() == 0
    srv.start()
    srv.connect(f"{uid}a", v5=True).ping()
