"""The watchdog ends a hung test run with the stacks of what it was waiting for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from watchdog import EXIT_CODE

HUNG = '''
import asyncio

async def test_waits_forever():
    await asyncio.create_task(asyncio.Event().wait(), name="never-set")

def test_never_reached():
    pass
'''


def test_a_hung_test_prints_its_tasks_and_ends_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_hung.py").write_text(HUNG)
    tests = Path(__file__).resolve().parent.parent
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tests)!r})\npytest_plugins = ['watchdog']\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "asyncio_mode=auto", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "WEGWIJS_TEST_TIMEOUT": "1"})
    assert run.returncode == EXIT_CODE
    assert "test_hung.py::test_waits_forever is still running after 1 s" in run.stderr
    assert "name='never-set'" in run.stderr  # the task it waited for, with its stack
    assert "test_never_reached" not in run.stdout + run.stderr
