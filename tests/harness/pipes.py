"""A child's output pipe read to its end by one reader thread, then closed by that thread (the
only one using it): a pipe left to the collector is a ResourceWarning, an error in the tests."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from typing import IO, Any, AnyStr


def lines_then_close(pipe: IO[AnyStr]) -> Iterator[AnyStr]:
    with pipe:
        yield from pipe


def close_pipes(proc: subprocess.Popen[Any]) -> None:
    """After the child has been waited for: close what is left of its pipes."""
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()
