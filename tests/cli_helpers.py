"""Running the command line as a user would, and what a user mistake must look like."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """`crossmodal ARGS` in a fresh interpreter, so exit codes and stderr are the real ones."""
    return subprocess.run([sys.executable, "-m", "crossmodal.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit 1, no traceback, one line on stderr that starts with 'error: ' and names it."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
