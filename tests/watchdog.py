"""A test that hangs fails with what it was waiting for, instead of holding the run.

Without this, a hung test shows as CI's time limit and a row of dots. After
WEGWIJS_TEST_TIMEOUT seconds (default 300) the watchdog prints the stack of every thread
and every asyncio task, then ends the process with exit code 3: under pytest-xdist
(`make test`) that test fails as a crashed worker and the run goes on; in a single process
the run ends. It is no timing limit (those are flaky): 300 s is ten times the slowest test,
so only a hang reaches it.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

DEFAULT_SECONDS = 300.0
EXIT_CODE = 3


def seconds() -> float:
    return float(os.environ.get("WEGWIJS_TEST_TIMEOUT") or DEFAULT_SECONDS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Set up, call and tear down, all under one timer."""
    limit = seconds()
    timer = threading.Timer(limit, _hung, args=(item, limit))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _hung(item: pytest.Item, limit: float) -> None:
    capture: Any = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)  # so this reaches the terminal
    out = sys.__stderr__
    assert out is not None
    print(f"\n\n{item.nodeid} is still running after {limit:.0f} s: it hangs. "
          "Threads, then asyncio tasks:", file=out, flush=True)
    faulthandler.dump_traceback(file=out, all_threads=True)
    for loop in _running_loops():
        for task in _tasks(loop):
            print(f"\n{task!r}", file=out)
            task.print_stack(limit=12, file=out)
    out.flush()
    os._exit(EXIT_CODE)


def _running_loops() -> list[asyncio.AbstractEventLoop]:
    # Another thread's running loop is thread-local there; the hung loop is idle or stuck,
    # so reading its tasks from here is safe enough for a last report.
    return [o for o in gc.get_objects()
            if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]


def _tasks(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    for _ in range(3):  # the set may change while it is read
        try:
            return list(asyncio.all_tasks(loop))
        except RuntimeError:
            continue
    return []
