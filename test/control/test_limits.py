"""Connection-level limits of the HTTPS control plane, over raw TLS sockets."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time

import pytest

from support import aws as A

SMALL = {"control": {"max_body_bytes": 1024, "max_header_bytes": 2048, "idle_timeout_seconds": 1,
                     "max_requests_per_connection": 2}}


@pytest.fixture(scope="module")
def small(module_tenet_factory):
    return module_tenet_factory(config=SMALL, name="tenet(small limits)")


class Raw:
    """One TLS connection; reads HTTP/1.1 responses with deadlines."""

    def __init__(self, srv, timeout: float = 5.0):
        self.sock = A.raw_tls(srv, timeout)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            chunk = b""
        if not chunk:
            return False
        self.buf += chunk
        return True

    def response(self, timeout: float = 5.0) -> tuple[int, dict, bytes]:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise AssertionError(f"connection closed before a full response head: {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise AssertionError("connection closed inside a response body")
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def wait_closed(self, timeout: float) -> float:
        """Seconds until the server closed the connection (EOF or reset); fails after `timeout`."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                if not self._fill(deadline):
                    return time.monotonic() - start
            except (socket.timeout, TimeoutError):
                raise AssertionError(f"server kept the connection open for {timeout}s")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _wire(req) -> bytes:
    """An AWSRequest (signed) as HTTP/1.1 bytes."""
    p = req.prepare()
    body = p.body or b""
    if isinstance(body, str):
        body = body.encode()
    from urllib.parse import urlsplit
    u = urlsplit(p.url)
    target = u.path + ("?" + u.query if u.query else "")
    hdrs = dict(p.headers)
    lines = [f"{p.method} {target} HTTP/1.1", f"Host: {u.netloc}"]
    lines += [f"{k}: {v}" for k, v in hdrs.items() if k.lower() != "host"]
    if body and "content-length" not in {k.lower() for k in hdrs}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_small_server_still_serves(small):
    A.ok(A.describe_endpoint(small))


def test_body_limit(small):
    big = {"description": "x" * 2000}
    c = Raw(small)
    try:
        c.send(_wire(A.build(small, "POST", "/tenet/access-keys", body=big)))
        status, headers, body = c.response()
        assert status == 413, (status, body)
        assert headers.get("x-amzn-errortype", "").startswith("RequestEntityTooLargeException")
        assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
        assert c.wait_closed(5) < 5
    finally:
        c.close()
    # Nothing was created, and the server serves the next connection.
    assert not [k for k in A.list_keys(small) if k["description"].startswith("xxxx")]


def test_body_limit_announced_only(small):
    """Content-Length over the limit is refused before the body is sent."""
    c = Raw(small)
    try:
        c.send(b"POST /tenet/access-keys HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        status, _, _ = c.response()
        assert status == 413
        c.wait_closed(5)
    finally:
        c.close()


def test_body_at_limit_is_not_413(small):
    body = json.dumps({"description": "d" * 100}).encode()
    body += b" " * (1024 - len(body))
    assert len(body) == 1024
    r = A.call(small, "POST", "/tenet/access-keys", body=body)
    assert r.status == 200, r
    A.ok(A.delete_key(small, r.json["accessKey"]["accessKeyId"]))


def test_header_limit(small):
    c = Raw(small)
    try:
        c.send(b"GET /endpoint HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 4000 + b"\r\n\r\n")
        status, _, _ = c.response()
        assert status == 431
        assert c.wait_closed(5) < 5
    finally:
        c.close()
    A.ok(A.describe_endpoint(small))


def test_header_limit_default(tenet):
    """Default max_header_bytes is 16384: 10 KB of headers pass the limit (then fail auth), 20 KB do not."""
    r = A.describe_endpoint(tenet, headers={"X-Amz-Meta-Filler": "a" * 10000})
    A.ok(r)
    c = Raw(tenet)
    try:
        c.send(b"GET /endpoint HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 20000 + b"\r\n\r\n")
        assert c.response()[0] == 431
        c.wait_closed(5)
    finally:
        c.close()


def test_idle_connection_closed(small):
    c = Raw(small)
    try:
        elapsed = c.wait_closed(6)
        assert elapsed >= 0.5, f"closed after {elapsed:.2f}s, before the 1 s idle timeout"
    finally:
        c.close()


def test_idle_after_response_closed(small):
    c = Raw(small)
    try:
        c.send(_wire(A.build(small, "GET", "/endpoint")))
        assert c.response()[0] == 200
        elapsed = c.wait_closed(6)
        assert elapsed >= 0.5
    finally:
        c.close()


def test_default_idle_timeout_keeps_connection(tenet):
    """With the default 30 s idle timeout, a connection idle for 1.5 s is still served."""
    c = Raw(tenet)
    try:
        c.sock.settimeout(1.5)
        with pytest.raises((socket.timeout, TimeoutError)):
            c.sock.recv(1)  # nothing arrives and the server does not close
        c.send(_wire(A.build(tenet, "GET", "/endpoint")))
        assert c.response()[0] == 200
    finally:
        c.close()


def test_slowloris(small):
    """A request trickled one byte at a time is cut off after ~idle_timeout, not kept alive by each byte."""
    c = Raw(small)
    data = b"GET /endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 200
    start = time.monotonic()
    closed_at = None
    try:
        for b in data:
            try:
                c.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                closed_at = time.monotonic() - start
                break
            c.sock.settimeout(0.2)
            try:
                chunk = c.sock.recv(65536)
                if not chunk:
                    closed_at = time.monotonic() - start
                    break
                c.buf += chunk  # a 408 before the close is fine
            except (socket.timeout, TimeoutError):
                pass
            except (ConnectionResetError, ssl.SSLError):
                closed_at = time.monotonic() - start
                break
            if time.monotonic() - start > 8:
                break
    finally:
        c.close()
    assert closed_at is not None, "server kept a trickling request open for 8 s (idle_timeout_seconds = 1)"
    assert closed_at < 5, closed_at
    assert b" 200 " not in c.buf


def test_max_requests_per_connection(small):
    c = Raw(small)
    try:
        c.send(_wire(A.build(small, "GET", "/endpoint")))
        status, headers, _ = c.response()
        assert status == 200
        assert headers.get("connection", "").lower() != "close", headers
        c.send(_wire(A.build(small, "GET", "/endpoint")))
        status, headers, _ = c.response()
        assert status == 200
        assert headers.get("connection", "").lower() == "close", headers
        assert c.wait_closed(3) < 3
    finally:
        c.close()


def test_pipelined_past_max_requests(small):
    """Three pipelined requests with a limit of 2: two answers, the second says close, then EOF."""
    c = Raw(small)
    try:
        c.send(b"".join(_wire(A.build(small, "GET", "/endpoint")) for _ in range(3)))
        s1, h1, _ = c.response()
        s2, h2, _ = c.response()
        assert (s1, s2) == (200, 200)
        assert h2.get("connection", "").lower() == "close"
        c.wait_closed(3)
        assert b"HTTP/1.1" not in c.buf, c.buf
    finally:
        c.close()


def test_keep_alive_default(tenet):
    """Default max_requests_per_connection (1000): many requests on one connection, none says close."""
    host, port = A.host_port(tenet)
    conn = http.client.HTTPSConnection(host, port, context=A.ssl_context(tenet), timeout=5)
    try:
        for _ in range(5):
            p = A.build(tenet, "GET", "/endpoint").prepare()
            conn.request("GET", "/endpoint", headers=dict(p.headers))
            r = conn.getresponse()
            assert r.status == 200
            assert (r.getheader("Connection") or "").lower() != "close"
            r.read()
        assert conn.sock is not None
    finally:
        conn.close()


@pytest.mark.parametrize("garbage", [b"GARBAGE\r\n\r\n", b"GET /endpoint HTTP/9.9\r\nHost: x\r\n\r\n",
                                     b"GET /endpoint HTTP/1.1\r\nNo colon here\r\n\r\n",
                                     b"POST /tags HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"])
def test_malformed_request(tenet, garbage):
    c = Raw(tenet)
    try:
        c.send(garbage)
        status, headers, body = c.response()
        assert status in (400, 505), status
        assert json.loads(body)["__type"] == headers.get("x-amzn-errortype")
    finally:
        c.close()
    A.ok(A.describe_endpoint(tenet))


@pytest.mark.parametrize("raw", [
    b"POST /tenet/access-keys HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
    b"GET /endpoint HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 4000 + b"\r\n\r\n",
    b"GET /endpoint HTTP/1.1\r\nNo colon here\r\n\r\n",
], ids=["413", "431", "400"])
def test_limit_responses_carry_request_id(small, raw):
    """Every response has x-amzn-RequestId, including those the HTTP layer makes itself."""
    c = Raw(small)
    try:
        c.send(raw)
        status, headers, _ = c.response()
        assert status in (400, 413, 431)
        assert headers.get("x-amzn-requestid"), f"{status} without x-amzn-RequestId: {headers}"
    finally:
        c.close()


def test_max_connections(tenet_factory):
    srv = tenet_factory(config={"control": {"max_connections": 2}})
    conns = [Raw(srv), Raw(srv)]
    try:
        # Both established connections are served.
        for c in conns:
            c.send(_wire(A.build(srv, "GET", "/endpoint")))
            assert c.response()[0] == 200
        # A third is refused or closed without being served.
        try:
            third = Raw(srv, timeout=3)
        except (ConnectionResetError, ssl.SSLError, OSError):
            third = None
        if third is not None:
            try:
                try:
                    third.send(_wire(A.build(srv, "GET", "/endpoint")))
                    status = third.response(3)[0]
                except (AssertionError, OSError):
                    status = None
                assert status != 200, "a connection over max_connections was served"
            finally:
                third.close()
    finally:
        for c in conns:
            c.close()
    # Once one closes, new connections are served again (bounded poll: the server sees the close).
    from support.timing import wait_until
    wait_until(lambda: A.describe_endpoint(srv).status == 200 if _try_ok(srv) else False, 5,
               what="serving again after a connection closed")


def _try_ok(srv) -> bool:
    try:
        return A.describe_endpoint(srv, timeout=2).status == 200
    except OSError:
        return False
