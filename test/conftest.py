"""Fixtures shared by the conformance and interop suites.

- `tenet`: one server per test module (allow-authenticated), for tests that only need a broker.
  Tests keep out of each other's way with `uid`, a short prefix unique to the test, for client ids
  and topics; connections a test opened are closed when it ends.
- `tenet_factory(...)`: servers of the test's own (config, authz, restarts, kill -9), stopped at the
  end of the test.
Every server is stopped with SIGTERM at teardown and must exit 0. A failing test's report carries
the tail of each live server's log.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import server as S  # noqa: E402


def pytest_configure(config):
    binary = S.tenet_bin()
    if not os.access(binary, os.X_OK):
        raise pytest.UsageError(f"tenet binary not found at {binary}: build it or set TENET_BIN")


class _Factory:
    def __init__(self, root: Path):
        self.root = root
        self.servers: list[S.TenetServer] = []
        self._n = itertools.count(1)

    def __call__(self, *, authz: str = "allow-authenticated", config: dict | None = None,
                 extra_args: list[str] | None = None, start: bool = True, name: str | None = None) -> S.TenetServer:
        n = next(self._n)
        srv = S.TenetServer(self.root / f"srv{n}", authz=authz, config=config, extra_args=extra_args,
                            name=name or f"tenet#{n}")
        self.servers.append(srv)
        if start:
            srv.start()
        return srv

    def finish(self) -> None:
        errors = []
        for srv in self.servers:
            try:
                srv.finish()
            except AssertionError as e:
                errors.append(str(e))
        if errors:
            pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def tenet_factory(tmp_path):
    f = _Factory(tmp_path)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def module_tenet_factory(tmp_path_factory, request):
    f = _Factory(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield f
    f.finish()


@pytest.fixture(scope="module")
def tenet(module_tenet_factory):
    return module_tenet_factory(name="tenet(module)")


_uids = itertools.count(1)


@pytest.fixture
def uid():
    """A short prefix unique to this test: client ids and topics stay within AWS-like limits."""
    return f"u{next(_uids)}"


@pytest.fixture(autouse=True)
def _close_test_connections():
    yield
    for srv in list(S.LIVE):
        srv.close_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(S.LIVE):
            rep.sections.append((f"{srv.name} log ({srv.log_path})", srv.log_tail(120)))
