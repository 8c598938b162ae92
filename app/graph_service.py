"""From a program to the graph API's answer: parse, backward, checks, picture, and a cache."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import Future
from functools import lru_cache
from typing import NamedTuple

from starlette.concurrency import run_in_threadpool

from engine import Value, derivative_formulas, gradcheck, trace
from engine.export import literals
from engine.expr import ExprError, parse

from .fold import plan
from .render import Renderer
from .schemas import (
    Direction,
    GradCheck,
    GraphNode,
    GraphRequest,
    GraphResponse,
    Role,
    SourceLiteral,
    StatementGroup,
)
from .settings import get_settings
from .slots import Busy, Slots

# every word of a program: a superset of the names it uses (a name in `values` that is none of
# them cannot change the answer, so it is left out of the cache key)
WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class Answer(NamedTuple):
    """A graph response, serialized once: the JSON body and the picture on its own."""

    json: bytes
    svg: bytes


class LRUCache:
    """A thread-safe least-recently-used map bounded by the total size of its answers in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: Answer) -> None:
        """The budget counts the key's bytes too (GraphService's keys are 32-byte digests)."""
        size = _size(key, item)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.bytes += size - (_size(key, old) if old else 0)
            self._items[key] = item
            while self.bytes > self.max_bytes:
                dropped_key, dropped = self._items.popitem(last=False)
                self.bytes -= _size(dropped_key, dropped)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = self.hits = self.misses = 0


def _size(key: Hashable, item: Answer) -> int:
    key_bytes = len(key) if isinstance(key, bytes | str) else len(repr(key))
    return key_bytes + len(item.json) + len(item.svg)


def cache_key(request: GraphRequest) -> bytes:
    """A digest of everything the answer depends on: the program, the values of the names it
    can use (the others dropped), h, the theme, the folding and whether to draw the picture."""
    words = set(WORD.findall(request.source))
    # float.hex() tells -0.0 from 0.0, which compare (and hash) equal but draw differently
    values = sorted((name, float(v).hex()) for name, v in request.values.items() if name in words)
    fold = None if request.fold is None else sorted(set(request.fold))
    text = repr((request.source, values, float(request.h).hex(), request.theme, fold, request.picture))
    if request.direction not in (None, "LR"):  # LR is null's picture: both keep the keys they had
        text += repr(request.direction)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def role(node: Value, root: Value) -> Role:
    if node is root:
        return "output"
    if node._prev:
        return "intermediate"
    return "input" if node.label else "constant"


class GraphService:
    """Builds graph responses. Identical requests are answered from an LRU cache, and
    identical requests that arrive together wait for one build instead of each running dot."""

    def __init__(
        self,
        renderer: Renderer,
        max_checked_leaves: int = 64,
        max_check_evaluations: int = 20_000,
        cache_bytes: int = 32 * 2**20,
        slots: Slots | None = None,
    ) -> None:
        self.renderer = renderer
        self.max_checked_leaves = max_checked_leaves
        self.max_check_evaluations = max_check_evaluations
        self.cache = LRUCache(cache_bytes)
        self._building: dict[Hashable, Future[Answer]] = {}
        self._lock = threading.Lock()
        # builds at once from the app (async waiting; the renderer's own cap is for direct use)
        self.slots = slots or Slots(renderer.max_processes, renderer.timeout)
        self._pending: dict[bytes, asyncio.Future[Answer]] = {}

    async def answer_async(self, request: GraphRequest, client: str = "") -> Answer:
        """``answer`` for the app: waiting (for a place, or for an identical build under way)
        holds no worker thread; the build itself runs in one."""
        key = await run_in_threadpool(cache_key, request)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)  # the first request's answer, or its error
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            try:
                async with self.slots.hold(client):
                    answer = await run_in_threadpool(self.build, request, key)
            except Busy:
                limit = self.slots.size
                message = f"the server is busy drawing other graphs ({limit} at a time); try again soon"
                raise Busy(message, retry_after=5) from None
            future.set_result(answer)
            return answer
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting for it
            raise
        finally:
            del self._pending[key]

    def build(self, request: GraphRequest, key: Hashable) -> Answer:
        """Parse, backward, checks and picture; the answer is cached under ``key``."""
        positions: dict[int, tuple[int, int]] = {}
        statements: dict[int, int] = {}
        root = parse(request.source, request.values, positions, statements)
        response = self.from_root(
            root,
            request.h,
            request.theme,
            positions,
            statements,
            request.fold,
            request.picture,
            request.direction or "LR",
        )
        response.literals = [SourceLiteral(**span._asdict()) for span in literals(request.source)]
        answer = Answer(response.model_dump_json().encode(), response.svg.encode())
        self.cache.put(key, answer)
        return answer

    def answer(self, request: GraphRequest) -> Answer:
        """The answer from a worker thread (identical requests at once share one build)."""
        key = cache_key(request)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self._lock:
            pending = self._building.get(key)
            if pending is None:
                future: Future[Answer] = Future()
                self._building[key] = future
        if pending is not None:
            return pending.result()  # the first request's answer, or its error
        try:
            answer = self.build(request, key)
            future.set_result(answer)
            return answer
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._building[key]

    def from_root(
        self,
        root: Value,
        h: float = 1e-5,
        theme: str = "light",
        positions: dict[int, tuple[int, int]] | None = None,
        statements: dict[int, int] | None = None,
        folded: list[int] | None = None,
        picture: bool = True,
        direction: Direction = "LR",
    ) -> GraphResponse:
        """``positions``: where in the program each node was made (``parse``'s), for errors;
        ``statements``: which statement made each node (``parse``'s), for folding; ``folded``: the
        statements to draw folded (None: all of them when the graph is too big to draw unfolded);
        ``picture``: False for the values alone (``svg`` empty), however many there are;
        ``direction``: the picture's rankdir, "LR" or "TB"."""
        nodes, _ = trace(root)
        if not statements and picture:
            self.renderer.check_size(len(nodes))  # before any costly work: nothing could fold
        root.backward()
        ids = {id(node): f"n{k}" for k, node in enumerate(nodes)}
        for node in reversed(nodes):  # backward's order: the first one to overflow is the cause
            if not math.isfinite(node.grad):
                name = f" of {node.label}" if node.label else ""
                line, column = (positions or {}).get(id(node), (1, 1))
                raise ExprError(f"the gradient{name} overflows (it is not a finite number)", line, column)
        described = [
            GraphNode(
                id=ids[id(node)],
                label=node.label,
                op=node._op,
                data=node.data,
                grad=node.grad,
                inputs=[ids[id(child)] for child in node._prev],
                local=list(node._local),
                derivatives=derivative_formulas(node),  # a custom op says it has no rule
                role=role(node, root),
                statement=(statements or {}).get(id(node)),
            )
            for node in nodes
        ]
        drawn, folds, clusters, found = plan(described, folded, self.renderer.max_nodes)
        # refuses a graph too big or tangled, first
        svg = self.renderer.svg(drawn, theme, folds, clusters, direction) if picture else ""
        return GraphResponse(
            nodes=described,
            output=ids[id(root)],
            backward_order=[ids[id(node)] for node in reversed(nodes)],
            checks=self.checks(root, nodes, ids, h),
            h=h,
            svg=svg,
            groups=[
                StatementGroup(
                    statement=g.statement, name=g.name, output=g.output, members=g.members, summary=g.summary
                )
                for g in found
            ],
            folded=sorted({g.statement for g in found if g.output in folds}),
        )

    def checks(self, root: Value, nodes: list[Value], ids: dict[int, str], h: float) -> list[GradCheck]:
        """A central difference for each labeled leaf, as many as the limits allow: each one
        evaluates the whole graph three times (x+h, x-h, and back to x)."""
        leaves = [node for node in nodes if not node._prev and node.label]
        affordable = self.max_check_evaluations // (3 * len(nodes))
        count = min(self.max_checked_leaves, affordable)
        checked = {id(c.leaf): c for c in gradcheck(root, leaves[:count], h)}
        out = []
        for leaf in leaves:
            check = checked.get(id(leaf))
            out.append(
                GradCheck(
                    id=ids[id(leaf)],
                    label=leaf.label,
                    analytic=float(leaf.grad),
                    numeric=check.numeric if check and _finite(check.numeric) else None,
                    agree=check.ok if check else None,
                )
            )
        return out


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


@lru_cache
def get_service() -> GraphService:
    """The app's one service (a FastAPI dependency; tests override it)."""
    settings = get_settings()
    renderer = Renderer(
        dot_command=settings.dot_command,
        timeout=settings.render_timeout_seconds,
        max_nodes=settings.max_render_nodes,
        max_layout=settings.max_layout_size,
        max_processes=settings.max_dot_processes,
        layout_cache_bytes=settings.layout_cache_bytes,
    )
    return GraphService(
        renderer, settings.max_checked_leaves, settings.max_check_evaluations, settings.graph_cache_bytes
    )
