"""Graphviz's `dot` kept running between graphs.

Starting `dot` costs about 20 ms (it loads its plugins), and a small graph's layout about 3: a
new process per graph spends most of its time starting. ``dot -Tsvg`` reads graph after graph
on its standard input and writes each SVG as soon as that graph is laid out, so a few processes
are kept running and given one graph at a time (app/render.py holds the places: at most
max_dot_processes run at once). A process that takes too long is killed like a one-off run; one
that fails (it exits on a syntax error) is dropped, and the caller runs the graph again in a
process of its own to report what went wrong. Each process draws at most ``max_graphs`` graphs
and is then replaced, so a slow leak in Graphviz cannot grow without bound.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import threading
import time

SVG_END = b"</svg>\n"  # how each picture ends; user text inside one is escaped, never this
# from its second graph on, a kept `dot` names the graph's group as a page ("page0,1_graph0"):
# the one difference from a process of its own, undone so that the pictures are the same
_PAGE_ID = re.compile(rb'^<g id="page\d+,\d+_graph0"', re.MULTILINE)


class DotFailed(Exception):
    """The kept process could not draw the graph (it exited, or could not be started)."""


class DotProcess:
    """One ``dot -Tsvg`` reading graphs on its standard input."""

    def __init__(self, command: str) -> None:
        try:
            self.proc = subprocess.Popen(
                [command, "-Tsvg"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # nobody reads it while it runs: a one-off run reports errors
            )
        except OSError as error:
            raise DotFailed(str(error)) from None
        self.drawn = 0

    def draw(self, dot: bytes, timeout: float) -> bytes:
        """The SVG of one graph; ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        try:
            self.proc.stdin.write(dot + b"\n")  # dot starts on a graph once its last line has ended
            self.proc.stdin.flush()
        except OSError as error:  # it has exited
            raise DotFailed(str(error)) from None
        out = bytearray()
        fd = self.proc.stdout.fileno()
        while not out.endswith(SVG_END):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise DotFailed(f"dot exited with {self.proc.wait()}")
            out += chunk
        self.drawn += 1
        return _PAGE_ID.sub(b'<g id="graph0"', bytes(out), count=1)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class DotPool:
    """Kept `dot` processes, idle between graphs. The caller limits how many draw at once."""

    def __init__(self, command: str, max_graphs: int) -> None:
        self.command = command
        self.max_graphs = max_graphs
        self._idle: list[DotProcess] = []
        self._lock = threading.Lock()

    def draw(self, dot: bytes, timeout: float) -> bytes:
        """The SVG of one graph from a kept process (``DotFailed`` or ``TimeoutExpired`` if not)."""
        with self._lock:
            process = self._idle.pop() if self._idle else None
        if process is None:
            process = DotProcess(self.command)
        try:
            svg = process.draw(dot, timeout)
        except BaseException:
            process.close()
            raise
        if process.drawn >= self.max_graphs:
            process.close()
        else:
            with self._lock:
                self._idle.append(process)
        return svg

    @property
    def running(self) -> int:
        """Kept processes waiting for a graph now."""
        return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for process in idle:
            process.close()
