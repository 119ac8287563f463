"""MQTT 3.1.1 / 5.0 bytes for tests, written from the specifications (OASIS mqtt-v3.1.1, mqtt-v5.0).

Independent of tenet's codec on purpose: exact-byte expectations in the conformance tests are
hand-written hex (`h("20 02 00 00")`); the builders below only make the *requests* tests send where
hex would be unreadable (long client ids, generated payloads, property lists). They are checked
against hand-written hex in test_00_support.py.

Reading is deliberately shallow: `Packet` is one frame (fixed header + remaining length + body) and
the `parse_*` helpers decode only what tests assert on.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

# Control packet types (first nibble of the fixed header).
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

TYPE_NAMES = {
    1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
    8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
    14: "DISCONNECT", 15: "AUTH",
}

# v5 property identifiers (MQTT 5.0 section 2.2.2.2) and their wire types.
P_PAYLOAD_FORMAT = 0x01
P_MESSAGE_EXPIRY = 0x02
P_CONTENT_TYPE = 0x03
P_RESPONSE_TOPIC = 0x08
P_CORRELATION_DATA = 0x09
P_SUBSCRIPTION_ID = 0x0B
P_SESSION_EXPIRY = 0x11
P_ASSIGNED_CLIENT_ID = 0x12
P_SERVER_KEEP_ALIVE = 0x13
P_AUTH_METHOD = 0x15
P_AUTH_DATA = 0x16
P_REQUEST_PROBLEM_INFO = 0x17
P_WILL_DELAY = 0x18
P_REQUEST_RESPONSE_INFO = 0x19
P_RESPONSE_INFO = 0x1A
P_SERVER_REFERENCE = 0x1C
P_REASON_STRING = 0x1F
P_RECEIVE_MAXIMUM = 0x21
P_TOPIC_ALIAS_MAXIMUM = 0x22
P_TOPIC_ALIAS = 0x23
P_MAXIMUM_QOS = 0x24
P_RETAIN_AVAILABLE = 0x25
P_USER_PROPERTY = 0x26
P_MAXIMUM_PACKET_SIZE = 0x27
P_WILDCARD_SUB_AVAILABLE = 0x28
P_SUB_ID_AVAILABLE = 0x29
P_SHARED_SUB_AVAILABLE = 0x2A

_PROP_TYPES = {
    0x01: "byte", 0x02: "u32", 0x03: "str", 0x08: "str", 0x09: "bin", 0x0B: "varint", 0x11: "u32",
    0x12: "str", 0x13: "u16", 0x15: "str", 0x16: "bin", 0x17: "byte", 0x18: "u32", 0x19: "byte",
    0x1A: "str", 0x1C: "str", 0x1F: "str", 0x21: "u16", 0x22: "u16", 0x23: "u16", 0x24: "byte",
    0x25: "byte", 0x26: "pair", 0x27: "u32", 0x28: "byte", 0x29: "byte", 0x2A: "byte",
}


def h(text: str) -> bytes:
    """Hand-written hex to bytes; spaces, newlines and `#` comments are ignored."""
    text = re.sub(r"#[^\n]*", "", text)
    return bytes.fromhex("".join(text.split()))


def hexs(data: bytes) -> str:
    return data.hex(" ")


# ---------------------------------------------------------------------------------------------
# Encoding primitives (MQTT 5.0 section 1.5; identical in 3.1.1)


def varint(n: int) -> bytes:
    """Variable Byte Integer: 7 bits per byte, least significant first, high bit = more."""
    if not 0 <= n <= 268_435_455:
        raise ValueError(n)
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s: str | bytes) -> bytes:
    """Two-byte big-endian length, then the bytes (raw bytes allowed, to send invalid UTF-8)."""
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


binary = utf8


def frame(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + varint(len(body)) + body


def props(*items: tuple[int, object]) -> bytes:
    """v5 property block: varint length + (id, value) pairs in the given order."""
    out = bytearray()
    for pid, value in items:
        out += varint(pid)
        t = _PROP_TYPES[pid]
        if t == "byte":
            out.append(value)
        elif t == "u16":
            out += struct.pack(">H", value)
        elif t == "u32":
            out += struct.pack(">I", value)
        elif t == "varint":
            out += varint(value)
        elif t in ("str", "bin"):
            out += utf8(value)
        elif t == "pair":
            out += utf8(value[0]) + utf8(value[1])
    return varint(len(out)) + bytes(out)


NO_PROPS = b"\x00"


# ---------------------------------------------------------------------------------------------
# Builders for requests (client -> server)


def connect(client_id: str | bytes = "", *, v5: bool = False, clean: bool = True, keepalive: int = 60,
            properties: bytes | None = None, will_topic: str | None = None, will_payload: bytes = b"",
            will_qos: int = 0, will_retain: bool = False, will_properties: bytes | None = None,
            username: str | None = None, password: bytes | None = None, protocol_name: bytes = b"MQTT",
            level: int | None = None, reserved_flag: bool = False) -> bytes:
    """CONNECT (3.1 of either spec). `level` defaults to 4 (3.1.1) or 5."""
    flags = 0
    if reserved_flag:
        flags |= 0x01
    if clean:
        flags |= 0x02
    if will_topic is not None:
        flags |= 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    if password is not None:
        flags |= 0x40
    if username is not None:
        flags |= 0x80
    body = bytearray(utf8(protocol_name))
    body.append(level if level is not None else (5 if v5 else 4))
    body.append(flags)
    body += struct.pack(">H", keepalive)
    if v5:
        body += properties if properties is not None else NO_PROPS
    body += utf8(client_id)
    if will_topic is not None:
        if v5:
            body += will_properties if will_properties is not None else NO_PROPS
        body += utf8(will_topic) + binary(will_payload)
    if username is not None:
        body += utf8(username)
    if password is not None:
        body += binary(password)
    return frame(0x10, bytes(body))


def publish(topic: str | bytes, payload: bytes | str = b"", *, qos: int = 0, pid: int | None = None,
            retain: bool = False, dup: bool = False, v5: bool = False, properties: bytes | None = None) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    first = 0x30 | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = bytearray(utf8(topic))
    if qos:
        body += struct.pack(">H", pid if pid is not None else 1)
    if v5:
        body += properties if properties is not None else NO_PROPS
    body += payload
    return frame(first, bytes(body))


def subscribe(pid: int, filters: list[tuple[str | bytes, int]], *, v5: bool = False,
              properties: bytes | None = None) -> bytes:
    """SUBSCRIBE; each filter carries its options byte (v3: requested QoS)."""
    body = bytearray(struct.pack(">H", pid))
    if v5:
        body += properties if properties is not None else NO_PROPS
    for f, opts in filters:
        body += utf8(f) + bytes([opts])
    return frame(0x82, bytes(body))


def unsubscribe(pid: int, filters: list[str], *, v5: bool = False) -> bytes:
    body = bytearray(struct.pack(">H", pid))
    if v5:
        body += NO_PROPS
    for f in filters:
        body += utf8(f)
    return frame(0xA2, bytes(body))


def ack(ptype: int, pid: int) -> bytes:
    """PUBACK/PUBREC/PUBREL/PUBCOMP with reason Success in its shortest form (valid in v3 and v5)."""
    first = (ptype << 4) | (0x02 if ptype == PUBREL else 0)
    return bytes([first, 2]) + struct.pack(">H", pid)


PINGREQ_BYTES = h("c0 00")
PINGRESP_BYTES = h("d0 00")
DISCONNECT_BYTES = h("e0 00")


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class Packet:
    raw: bytes
    first: int
    body: bytes

    @property
    def type(self) -> int:
        return self.first >> 4

    @property
    def flags(self) -> int:
        return self.first & 0x0F

    @property
    def name(self) -> str:
        return TYPE_NAMES.get(self.type, f"type{self.type}")

    def __repr__(self) -> str:
        shown = self.raw if len(self.raw) <= 96 else self.raw[:96]
        more = "" if len(self.raw) <= 96 else f" ...(+{len(self.raw) - 96} bytes)"
        return f"<{self.name} {hexs(shown)}{more}>"


def try_frame(buf: bytes | bytearray) -> tuple[Packet, int] | None:
    """One frame from the front of buf: (packet, bytes consumed), or None if incomplete."""
    if len(buf) < 2:
        return None
    mult, length, i = 1, 0, 1
    while True:
        if i >= len(buf):
            return None
        b = buf[i]
        length += (b & 0x7F) * mult
        i += 1
        if not b & 0x80:
            break
        mult *= 128
        if i > 4:
            raise ValueError(f"peer sent a remaining length longer than 4 bytes: {hexs(bytes(buf[:8]))}")
    if len(buf) < i + length:
        return None
    return Packet(bytes(buf[: i + length]), buf[0], bytes(buf[i: i + length])), i + length


def read_varint(buf: bytes, i: int) -> tuple[int, int]:
    mult, value = 1, 0
    while True:
        b = buf[i]
        i += 1
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, i
        mult *= 128


def parse_props(buf: bytes, i: int) -> tuple[list[tuple[int, object]], int]:
    """Reads a property block at buf[i]; returns ([(id, value)], index after it)."""
    length, i = read_varint(buf, i)
    end = i + length
    out: list[tuple[int, object]] = []
    while i < end:
        pid, i = read_varint(buf, i)
        t = _PROP_TYPES.get(pid)
        if t == "byte":
            v, i = buf[i], i + 1
        elif t == "u16":
            v, i = struct.unpack_from(">H", buf, i)[0], i + 2
        elif t == "u32":
            v, i = struct.unpack_from(">I", buf, i)[0], i + 4
        elif t == "varint":
            v, i = read_varint(buf, i)
        elif t in ("str", "bin"):
            n = struct.unpack_from(">H", buf, i)[0]
            raw = buf[i + 2: i + 2 + n]
            v, i = (raw.decode() if t == "str" else raw), i + 2 + n
        elif t == "pair":
            n = struct.unpack_from(">H", buf, i)[0]
            k = buf[i + 2: i + 2 + n].decode()
            i += 2 + n
            n = struct.unpack_from(">H", buf, i)[0]
            val = buf[i + 2: i + 2 + n].decode()
            v, i = (k, val), i + 2 + n
        else:
            raise ValueError(f"unknown property id 0x{pid:02x} in {hexs(buf)}")
        out.append((pid, v))
    if i != end:
        raise ValueError(f"property block overruns its length in {hexs(buf)}")
    return out, end


class Props(list):
    """List of (id, value) with dict-like lookups; user properties keep their order."""

    def get(self, pid: int, default=None):
        for k, v in self:
            if k == pid:
                return v
        return default

    def all(self, pid: int) -> list:
        return [v for k, v in self if k == pid]

    def ids(self) -> set[int]:
        return {k for k, _ in self}


@dataclass
class ConnAck:
    session_present: bool
    code: int
    props: Props = field(default_factory=Props)


def parse_connack(p: Packet, v5: bool) -> ConnAck:
    assert p.type == CONNACK and p.flags == 0, f"expected CONNACK, got {p!r}"
    if not v5:
        assert len(p.body) == 2, f"v3 CONNACK must have remaining length 2: {p!r}"
        return ConnAck(bool(p.body[0] & 1), p.body[1])
    pr, end = parse_props(p.body, 2) if len(p.body) > 2 else ([], 2)
    assert end == len(p.body), f"CONNACK has trailing bytes: {p!r}"
    return ConnAck(bool(p.body[0] & 1), p.body[1], Props(pr))


@dataclass
class Publish:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    pid: int | None
    props: Props


def parse_publish(p: Packet, v5: bool) -> Publish:
    assert p.type == PUBLISH, f"expected PUBLISH, got {p!r}"
    b = p.body
    n = struct.unpack_from(">H", b, 0)[0]
    topic = b[2: 2 + n].decode()
    i = 2 + n
    qos = (p.flags >> 1) & 3
    pid = None
    if qos:
        pid = struct.unpack_from(">H", b, i)[0]
        i += 2
    pr: list = []
    if v5:
        pr, i = parse_props(b, i)
    return Publish(topic, b[i:], qos, bool(p.flags & 1), bool(p.flags & 8), pid, Props(pr))


@dataclass
class Ack:
    """PUBACK/PUBREC/PUBREL/PUBCOMP/UNSUBACK/SUBACK header fields."""
    pid: int
    codes: list[int]
    props: Props


def parse_ack(p: Packet, v5: bool) -> Ack:
    """Reads an ack; for PUBACK-family, a missing reason code means 0x00 (v5 3.4.2.1)."""
    b = p.body
    pid = struct.unpack_from(">H", b, 0)[0]
    if p.type in (SUBACK, UNSUBACK):
        pr: list = []
        i = 2
        if v5:
            pr, i = parse_props(b, 2)
        return Ack(pid, list(b[i:]), Props(pr))
    if len(b) == 2:
        return Ack(pid, [0], Props())
    code = b[2]
    pr = []
    if len(b) > 3:
        pr, end = parse_props(b, 3)
        assert end == len(b), f"trailing bytes in {p!r}"
    return Ack(pid, [code], Props(pr))


def disconnect_reason(p: Packet) -> int:
    """Reason code of a DISCONNECT (v5 3.14.2.1: absent means 0x00)."""
    assert p.type == DISCONNECT, f"expected DISCONNECT, got {p!r}"
    return p.body[0] if p.body else 0
