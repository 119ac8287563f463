"""A raw MQTT-over-TLS connection for black-box tests.

It sends bytes exactly as given and reads whole frames back (fixed header + remaining length, nothing
more), each read bounded by a deadline. It never interprets a packet unless asked to.
"""

from __future__ import annotations

import socket
import ssl
import time

from . import packets as P

DEFAULT_TIMEOUT = 5.0


class Closed(Exception):
    """The server closed (or reset) the connection."""


class NoPacket(AssertionError):
    """No complete packet arrived before the deadline."""


class MqttConn:
    """One TLS connection. Not thread-safe; each test owns its connections."""

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext, server_hostname: str | None,
                 timeout: float = DEFAULT_TIMEOUT, label: str = "", rcvbuf: int | None = None):
        self.label = label
        self.v5 = False
        if rcvbuf is None:
            raw = socket.create_connection((host, port), timeout=timeout)
        else:  # a small, fixed receive buffer (set before connect, so the window stays small)
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            raw.settimeout(timeout)
            raw.connect((host, port))
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        self.buf = bytearray()
        self.stash: list[P.Packet] = []  # PUBLISHes that arrived while publish() awaited its ack
        self.closed = False
        self.close_reason = ""

    # -- sending ------------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = P.h(data)
        self.sock.sendall(data)

    # -- receiving ----------------------------------------------------------------------------

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise socket.timeout()
        except ssl.SSLWantReadError:
            return
        except (ConnectionError, ssl.SSLError, OSError) as e:
            self.closed = True
            self.close_reason = f"{type(e).__name__}: {e}"
            raise Closed(self.close_reason)
        if not chunk:
            self.closed = True
            self.close_reason = "EOF"
            raise Closed("EOF")
        self.buf += chunk

    def recv(self, timeout: float = DEFAULT_TIMEOUT) -> P.Packet:
        """The next whole packet. Raises NoPacket on timeout, Closed if the server hung up first."""
        if self.stash:
            return self.stash.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            got = P.try_frame(self.buf)
            if got:
                pkt, n = got
                del self.buf[:n]
                return pkt
            if self.closed:
                raise Closed(self.close_reason)
            try:
                self._fill(deadline)
            except socket.timeout:
                raise NoPacket(f"{self.label}: no packet within {timeout:.1f}s "
                               f"(partial buffer: {P.hexs(bytes(self.buf)) or 'empty'})")

    def expect(self, hexstr: str | bytes, timeout: float = DEFAULT_TIMEOUT) -> P.Packet:
        want = P.h(hexstr) if isinstance(hexstr, str) else hexstr
        try:
            pkt = self.recv(timeout)
        except Closed as e:
            raise AssertionError(f"{self.label}: expected {P.hexs(want)}, got connection closed ({e})")
        assert pkt.raw == want, f"{self.label}: expected {P.hexs(want)}, got {P.hexs(pkt.raw)}"
        return pkt

    def expect_type(self, ptype: int, timeout: float = DEFAULT_TIMEOUT) -> P.Packet:
        try:
            pkt = self.recv(timeout)
        except Closed as e:
            raise AssertionError(f"{self.label}: expected {P.TYPE_NAMES[ptype]}, got connection closed ({e})")
        assert pkt.type == ptype, f"{self.label}: expected {P.TYPE_NAMES[ptype]}, got {pkt!r}"
        return pkt

    def expect_publish(self, timeout: float = DEFAULT_TIMEOUT) -> P.Publish:
        return P.parse_publish(self.expect_type(P.PUBLISH, timeout), self.v5)

    def expect_closed(self, timeout: float = DEFAULT_TIMEOUT) -> list[P.Packet]:
        """Waits (bounded) for the server to close; returns the packets that arrived before."""
        deadline = time.monotonic() + timeout
        got: list[P.Packet] = []
        while True:
            try:
                got.append(self.recv(max(0.0, deadline - time.monotonic())))
            except Closed:
                return got
            except NoPacket:
                raise AssertionError(f"{self.label}: connection still open after {timeout:.1f}s; "
                                     f"received {got!r}")

    def expect_disconnect(self, reasons: int | set[int], timeout: float = DEFAULT_TIMEOUT) -> int:
        """v5: a DISCONNECT with one of `reasons`, then the close. Returns the reason code."""
        if isinstance(reasons, int):
            reasons = {reasons}
        got = self.expect_closed(timeout)
        want = " or ".join(f"e0 .. {r:02x}" for r in sorted(reasons))
        assert got and got[-1].type == P.DISCONNECT, \
            f"{self.label}: expected DISCONNECT ({want}) before the close, got {got!r}"
        rc = P.disconnect_reason(got[-1])
        assert rc in reasons, f"{self.label}: expected DISCONNECT ({want}), got {got[-1]!r}"
        assert len(got) == 1, f"{self.label}: unexpected packets before DISCONNECT: {got[:-1]!r}"
        return rc

    def expect_silence(self, seconds: float) -> None:
        """Asserts nothing arrives for `seconds` (used only where the spec forbids a packet and no
        barrier can prove the absence)."""
        try:
            pkt = self.recv(seconds)
        except NoPacket:
            return
        raise AssertionError(f"{self.label}: expected no packet, got {pkt!r}")

    def is_open(self, timeout: float = 0.0) -> bool:
        try:
            pkt = self.recv(timeout)
        except NoPacket:
            return True
        except Closed:
            return False
        self.buf[:0] = pkt.raw  # put it back
        return True

    # -- conveniences built only from hand-checked packets ----------------------------------------

    def ping(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """PINGREQ/PINGRESP round trip: a barrier proving the server processed what we sent before."""
        self.send(P.PINGREQ_BYTES)
        self.expect(P.PINGRESP_BYTES, timeout)

    def subscribe(self, pid: int, filters: list[tuple[str, int]], properties: bytes | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> list[int]:
        """Sends SUBSCRIBE, returns the SUBACK codes (asserting the packet id matches)."""
        self.send(P.subscribe(pid, filters, v5=self.v5, properties=properties))
        pkt = self._expect_ack(P.SUBACK, timeout)
        assert pkt.flags == 0, f"SUBACK flags must be 0: {pkt!r}"
        a = P.parse_ack(pkt, self.v5)
        assert a.pid == pid, f"SUBACK packet id {a.pid} != {pid} [MQTT-3.8.4-2]"
        return a.codes

    def publish(self, topic: str, payload: bytes | str = b"", qos: int = 0, pid: int = 1, retain: bool = False,
                properties: bytes | None = None, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Publishes and completes the QoS flow; returns the reason code (0 for QoS 0)."""
        self.send(P.publish(topic, payload, qos=qos, pid=pid, retain=retain, v5=self.v5, properties=properties))
        if qos == 0:
            return 0
        if qos == 1:
            a = P.parse_ack(self._expect_ack(P.PUBACK, timeout), self.v5)
            assert a.pid == pid
            return a.codes[0]
        rec = self._expect_ack(P.PUBREC, timeout)
        a = P.parse_ack(rec, self.v5)
        assert a.pid == pid
        if a.codes[0] >= 0x80:
            return a.codes[0]
        self.send(P.ack(P.PUBREL, pid))
        comp = P.parse_ack(self._expect_ack(P.PUBCOMP, timeout), self.v5)
        assert comp.pid == pid
        return a.codes[0]

    def _expect_ack(self, ptype: int, timeout: float) -> P.Packet:
        """Like expect_type, but a PUBLISH arriving first (e.g. our own message coming back) is kept
        for the next recv() instead of failing the wait."""
        held, self.stash = self.stash, []
        try:
            while True:
                try:
                    pkt = self.recv(timeout)
                except Closed as e:
                    raise AssertionError(f"{self.label}: expected {P.TYPE_NAMES[ptype]}, got connection "
                                         f"closed ({e})")
                if pkt.type == P.PUBLISH:
                    held.append(pkt)
                    continue
                assert pkt.type == ptype, f"{self.label}: expected {P.TYPE_NAMES[ptype]}, got {pkt!r}"
                return pkt
        finally:
            self.stash = held + self.stash

    def receive(self, timeout: float = DEFAULT_TIMEOUT) -> P.Publish:
        """Receives one PUBLISH and acknowledges it per its QoS (as a well-behaved client)."""
        m = self.expect_publish(timeout)
        if m.qos == 1:
            self.send(P.ack(P.PUBACK, m.pid))
        elif m.qos == 2:
            self.send(P.ack(P.PUBREC, m.pid))
            rel = self._expect_ack(P.PUBREL, timeout)
            assert rel.flags == 0x2, f"PUBREL flags must be 0010 [MQTT-3.6.1-1]: {rel!r}"
            assert P.parse_ack(rel, self.v5).pid == m.pid
            self.send(P.ack(P.PUBCOMP, m.pid))
        return m

    def drain(self, timeout: float = DEFAULT_TIMEOUT) -> list[P.Publish]:
        """PINGREQ, then every PUBLISH (acknowledged) up to the PINGRESP. The server answers in order,
        so this collects what it had already routed to us when the PINGREQ arrived."""
        self.send(P.PINGREQ_BYTES)
        got = []
        while True:
            try:
                pkt = self.recv(timeout)
            except Closed as e:
                raise AssertionError(f"{self.label}: closed while draining ({e}); got {got!r}")
            if pkt.raw == P.PINGRESP_BYTES:
                return got
            self.buf[:0] = pkt.raw
            got.append(self.receive(timeout))

    def disconnect(self) -> None:
        """Clean DISCONNECT (reason 0x00 in both versions), then waits for the server to close."""
        try:
            self.send(P.DISCONNECT_BYTES)
            self.expect_closed()
        finally:
            self.close()

    def close(self) -> None:
        """Drops the TCP connection without DISCONNECT (an abrupt close, as far as MQTT goes)."""
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True
