"""Runs a real `tenet server` for black-box tests: own data dir, port 0, loopback only.

Readiness is `DATA_DIR/endpoints.json` appearing (polled against a deadline, never a fixed sleep).
Certificates come from the server's own CA (`tenet ca issue`), made on demand in the fixture.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

from . import packets as P
from .client import DEFAULT_TIMEOUT, MqttConn

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0

# Servers whose logs a failing test report should show (see conftest.py).
LIVE: list["TenetServer"] = []


def tenet_bin() -> str:
    return os.environ.get("TENET_BIN", str(REPO / "build" / "src" / "cli" / "tenet"))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))


def write_toml(path: Path, config: dict) -> None:
    lines = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
        lines.append("")
    path.write_text("\n".join(lines))


class TenetServer:
    """One server process over one data dir; can be stopped, killed and started again."""

    def __init__(self, root: Path, *, authz: str = "allow-authenticated", config: dict | None = None,
                 extra_args: list[str] | None = None, name: str = "tenet"):
        self.name = name
        self.root = root
        self.data_dir = root / "data"
        self.cert_dir = root / "certs"
        self.cert_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = root / "server.log"
        self.authz = authz
        self.extra_args = list(extra_args or [])
        self.config_path: Path | None = None
        if config:
            self.config_path = root / "tenet.toml"
            write_toml(self.config_path, config)
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.control_url = ""  # https://127.0.0.1:PORT once started
        self.exit_codes: list[int] = []
        self._stopped_by_us = False
        self._certs: dict[str, tuple[str, str]] = {}
        self._conns: list[MqttConn] = []
        LIVE.append(self)

    # -- process control ------------------------------------------------------------------------

    @property
    def credentials_path(self) -> str:
        """The bootstrap administrator's AWS shared-credentials file."""
        return str(self.data_dir / "admin-credentials")

    def aws_env(self, **extra: str) -> dict:
        """Environment for /usr/bin/aws and boto3 against this server's control plane."""
        env = dict(os.environ)
        for k in [k for k in env if k.startswith("AWS_")]:
            del env[k]
        env.update(AWS_SHARED_CREDENTIALS_FILE=self.credentials_path, AWS_CONFIG_FILE=str(self.data_dir / "aws-config"),
                   AWS_CA_BUNDLE=self.ca_path, AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        env.update(extra)
        return env

    @property
    def ca_path(self) -> str:
        return str(self.data_dir / "ca.pem")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> "TenetServer":
        assert not self.running, "already running"
        endpoints = self.data_dir / "endpoints.json"
        if endpoints.exists():
            endpoints.unlink()  # so readiness means *this* process is listening
        args = [tenet_bin(), "server", "--data-dir", str(self.data_dir), "--mqtt-port", "0",
                "--control-port", "0", "--authz", self.authz, "--log-level", "debug"]
        if self.config_path:
            args += ["--config", str(self.config_path)]
        args += self.extra_args
        with open(self.log_path, "ab") as log:
            log.write(f"===== start: {' '.join(args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self._stopped_by_us = False
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} during start-up:\n"
                                     f"{self.log_tail()}")
            try:
                eps = json.loads(endpoints.read_text())
                addr = eps["mqtt"]
                host, port = addr.rsplit(":", 1)
                self.host, self.port = host.strip("[]"), int(port)
                self.control_url = eps["control"]
                return self
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.02)  # polling interval, bounded by the deadline
        self.proc.kill()
        raise AssertionError(f"{self.name}: no endpoints.json after {START_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Signals the server and waits for it to exit; returns its exit code."""
        assert self.proc is not None
        self._stopped_by_us = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not exit within {timeout}s of signal {sig}:\n"
                                     f"{self.log_tail()}")
        rc = self.proc.returncode
        self.exit_codes.append(rc)
        return rc

    def begin_stop(self, sig: int = signal.SIGTERM) -> None:
        """Sends the signal without waiting (to watch clients while the server shuts down)."""
        assert self.proc is not None
        self._stopped_by_us = True
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """Waits for a signalled server to exit (no second signal); returns its exit code."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not exit within {timeout}s:\n{self.log_tail()}")
        self.exit_codes.append(self.proc.returncode)
        return self.proc.returncode

    def stop_checked(self) -> None:
        """Graceful stop that must exit 0 (the teardown contract)."""
        rc = self.stop(signal.SIGTERM)
        assert rc == 0, f"{self.name} exited with {rc} after SIGTERM (want 0):\n{self.log_tail()}"

    def kill9(self) -> None:
        assert self.proc is not None
        self._stopped_by_us = True
        self.proc.kill()
        self.proc.wait()
        self.exit_codes.append(self.proc.returncode)

    def restart(self) -> "TenetServer":
        self.stop_checked()
        return self.start()

    def log_tail(self, lines: int = 200) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def close_all(self) -> None:
        for c in self._conns:
            c.close()
        self._conns.clear()

    def finish(self) -> None:
        """Teardown: close our connections, SIGTERM, require exit code 0."""
        self.close_all()
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.stop_checked()
            elif self.proc is not None and not self._stopped_by_us:
                raise AssertionError(f"{self.name} died with {self.proc.returncode}:\n{self.log_tail()}")
        finally:
            if self in LIVE:
                LIVE.remove(self)

    # -- certificates and TLS -----------------------------------------------------------------

    def issue_cert(self, name: str = "device", key_type: str | None = None) -> tuple[str, str]:
        """(cert.pem, key.pem) for a device certificate signed by this server's CA."""
        if name not in self._certs:
            args = [tenet_bin(), "ca", "issue", "--data-dir", str(self.data_dir), "--name", name,
                    "--out-dir", str(self.cert_dir)]
            if key_type:
                args += ["--key-type", key_type]
            r = subprocess.run(args, capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, f"tenet ca issue failed ({r.returncode}): {r.stdout}{r.stderr}"
            self._certs[name] = (str(self.cert_dir / f"{name}.pem"), str(self.cert_dir / f"{name}.key"))
        return self._certs[name]

    def tls_context(self, cert: str | None = "device", *, minimum=ssl.TLSVersion.TLSv1_2, maximum=None,
                    alpn: list[str] | None = None, cert_files: tuple[str, str] | None = None,
                    key_type: str | None = None) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.ca_path)
        ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
        if cert_files is not None:
            ctx.load_cert_chain(*cert_files)
        elif cert is not None:
            ctx.load_cert_chain(*self.issue_cert(cert, key_type))
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx

    def open(self, ctx: ssl.SSLContext | None = None, *, server_hostname: str | None = "localhost",
             timeout: float = DEFAULT_TIMEOUT, label: str = "conn", rcvbuf: int | None = None) -> MqttConn:
        """A TLS connection with no MQTT traffic yet."""
        c = MqttConn(self.host, self.port, ctx or self.tls_context(), server_hostname, timeout, label, rcvbuf)
        self._conns.append(c)
        return c

    def connect(self, client_id: str, *, v5: bool = False, clean: bool = True, keepalive: int = 60,
                properties: bytes | None = None, expect_present: bool | None = False, label: str | None = None,
                rcvbuf: int | None = None, **connect_kw) -> MqttConn:
        """Opens a connection and completes CONNECT/CONNACK (asserting success)."""
        c = self.open(label=label or client_id, rcvbuf=rcvbuf)
        c.v5 = v5
        c.send(P.connect(client_id, v5=v5, clean=clean, keepalive=keepalive, properties=properties, **connect_kw))
        ack = P.parse_connack(c.expect_type(P.CONNACK), v5)
        assert ack.code == 0, f"{client_id}: CONNACK refused with 0x{ack.code:02x}"
        if expect_present is not None:
            assert ack.session_present == expect_present, \
                f"{client_id}: session present {ack.session_present}, want {expect_present}"
        c.connack = ack
        return c
