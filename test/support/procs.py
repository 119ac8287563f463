"""Child processes (third-party MQTT clients) read line by line with deadlines."""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time


class LineProc:
    """A process whose stdout+stderr lines are collected by a thread; waits are bounded."""

    def __init__(self, args: list[str], timeout: float = 30):
        self.args = args
        # stdio buffers fully into a pipe; stdbuf makes the client's stdout line-buffered
        prefix = ["stdbuf", "-oL", "-eL"] if shutil.which("stdbuf") else []
        self.proc = subprocess.Popen(prefix + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        self._t = threading.Thread(target=self._pump, daemon=True)
        self._t.start()
        self.timeout = timeout

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_line(self, predicate, timeout: float = 10.0) -> str:
        """Returns the first new line matching `predicate`; fails on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching line within {timeout}s from {self.args[0]}; got:\n"
                                     + "\n".join(self.lines))
            try:
                line = self._q.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self._q.put(None)
                raise AssertionError(f"{self.args[0]} exited ({self.proc.wait()}) before a matching line; got:\n"
                                     + "\n".join(self.lines))
            self.lines.append(line)
            if predicate(line):
                return line

    def finish(self, timeout: float = 20.0) -> int:
        """Waits for exit and for the output to be read completely; returns the exit code."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.args[0]} still running after {timeout}s; output:\n" + "\n".join(self.lines))
        self._t.join(5)
        while True:
            try:
                line = self._q.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run(args: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
