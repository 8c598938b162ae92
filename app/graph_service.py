"""From a program to the graph API's answer: parse, backward, checks, picture, and a cache.

In the app (``answer_async``) a request waits only for what it needs. An answer in the cache
is served at once; a request whose graph's shape has a kept layout (a slider drag: only the
numbers changed) waits only for a build place, held for its Python work of a few
milliseconds; only a new shape then waits for a `dot` place too. So hits and numbers-only
changes never wait behind a layout. Waiting, for either place, holds no worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import AsyncExitStack, asynccontextmanager
from functools import lru_cache
from typing import NamedTuple, TypeVar

from starlette.concurrency import run_in_threadpool

from engine import Value, derivative_formulas, gradcheck, trace
from engine.export import literals
from engine.expr import ExprError, parse

from .fold import plan
from .layout import Template
from .lru import LRUCache
from .render import Look, Picture, Renderer
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
# a request up to this size (characters of source, plus 32 a value) gets its cache key on the
# event loop (about 0.1 ms); a bigger one in a worker thread (a 60 KB program: several ms)
KEY_ON_LOOP_CHARS = 2000


class Answer(NamedTuple):
    """A graph response, serialized once: the JSON body and the picture on its own."""

    json: bytes
    svg: bytes


class AnswerCache(LRUCache[Hashable, Answer]):
    """Answers by cache key, bounded by their bytes; the budget counts the key's bytes too
    (GraphService's keys are 32-byte digests)."""

    def size(self, key: Hashable, item: Answer) -> int:
        key_bytes = len(key) if isinstance(key, bytes | str) else len(repr(key))
        return key_bytes + len(item.json) + len(item.svg)


class Options(NamedTuple):
    """What an answer is asked for beside its program (a GraphRequest's other fields)."""

    h: float = 1e-5  # the step of the numerical checks
    theme: str = "light"
    folded: list[int] | None = None  # statements drawn folded; None: all, if too big unfolded
    picture: bool = True  # False: the values alone (``svg`` empty), however many there are
    direction: Direction = "LR"  # the picture's rankdir, "LR" or "TB"

    @classmethod
    def of(cls, request: GraphRequest) -> Options:
        return cls(request.h, request.theme, request.fold, request.picture, request.direction or "LR")


DEFAULTS = Options()


class Draft(NamedTuple):
    """A graph response without its picture yet, and what drawing the picture needs."""

    response: GraphResponse
    picture: Picture | None  # None: the values alone were asked for (no picture)


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
        max_builds: int = 2,
    ) -> None:
        self.renderer = renderer
        self.max_checked_leaves = max_checked_leaves
        self.max_check_evaluations = max_check_evaluations
        self.cache = AnswerCache(cache_bytes)
        # layouts at once from the app (async waiting; the renderer's own cap is for direct use)...
        self.slots = slots or Slots(renderer.max_processes, renderer.timeout)
        # ...and builds at once (Python's work: parse, backward, checks, filling a kept layout)
        self.builds = Slots(max_builds, renderer.timeout)
        self._pending: dict[bytes, asyncio.Future[Answer]] = {}  # by cache key
        self._laying_out: dict[bytes, asyncio.Future[Template | None]] = {}  # by layout key

    async def answer_async(self, request: GraphRequest, client: str = "") -> Answer:
        """``answer`` for the app: a cached answer at once; otherwise the Python work in a build
        place, then, for a new shape only, `dot` in a place of its own. Identical requests at
        once share one build, and requests for one new shape share one layout."""
        if len(request.source) + 32 * len(request.values) + 8 * len(request.fold or ()) <= KEY_ON_LOOP_CHARS:
            key = cache_key(request)
        else:
            key = await run_in_threadpool(cache_key, request)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        return await _shared(self._pending, key, lambda: self._build_async(request, key, client))

    async def _build_async(self, request: GraphRequest, key: bytes, client: str) -> Answer:
        async with _place(self.builds, client, "working on other graphs"):
            done = await run_in_threadpool(self.build_if_kept, request, key)
        if isinstance(done, Answer):
            return done
        template = await _shared(
            self._laying_out, done.picture.key, lambda: self._lay_out(done.picture, client)
        )
        if template is None:  # dot's SVG has no slots for the numbers: a plain run draws it
            async with _place(self.slots, client, "drawing other graphs"):
                return await run_in_threadpool(self.finish, done, None, key)
        return await run_in_threadpool(self.finish, done, template, key)

    async def _lay_out(self, picture: Picture, client: str) -> Template | None:
        async with _place(self.slots, client, "drawing other graphs"):
            return await run_in_threadpool(self.renderer.layout, picture)

    def build(self, request: GraphRequest) -> Answer:
        """Parse, backward, checks and picture."""
        draft = self.prepare(request)
        template = None if draft.picture is None else self.renderer.layout(draft.picture)
        return self.complete(draft, template)

    def build_if_kept(self, request: GraphRequest, key: Hashable) -> Answer | Draft:
        """``build`` if the layout of the graph's shape is kept (no `dot` needed), else the draft."""
        draft = self.prepare(request)
        if draft.picture is None:
            return self.finish(draft, None, key)
        template = self.renderer.kept(draft.picture)
        return draft if template is None else self.finish(draft, template, key)

    def prepare(self, request: GraphRequest) -> Draft:
        """Parse, backward, checks and what the picture needs; all but the layout."""
        positions: dict[int, tuple[int, int]] = {}
        statements: dict[int, int] = {}
        root = parse(request.source, request.values, positions, statements)
        draft = self.describe(root, Options.of(request), positions, statements)
        draft.response.literals = [SourceLiteral(**span._asdict()) for span in literals(request.source)]
        return draft

    def complete(self, draft: Draft, template: Template | None) -> Answer:
        """The answer with its picture (see ``Renderer.draw``)."""
        if draft.picture is not None:
            draft.response.svg = self.renderer.draw(draft.picture, template)
        return Answer(draft.response.model_dump_json().encode(), draft.response.svg.encode())

    def finish(self, draft: Draft, template: Template | None, key: Hashable) -> Answer:
        """``complete``, cached under ``key``."""
        answer = self.complete(draft, template)
        self.cache.put(key, answer)
        return answer

    def answer(self, request: GraphRequest) -> Answer:
        """The answer from a worker thread (identical requests at once share one build)."""
        key = cache_key(request)
        return self.cache.get_or_build(key, lambda: self.build(request))

    def from_root(self, root: Value, statements: dict[int, int] | None = None) -> GraphResponse:
        """The answer for a graph built in Python (tests, scripts), drawn with the default options
        and no cache; ``statements``: which statement made each node (``parse``'s), for folding."""
        draft = self.describe(root, statements=statements)
        if draft.picture is not None:
            draft.response.svg = self.renderer.draw(draft.picture, self.renderer.layout(draft.picture))
        return draft.response

    def describe(
        self,
        root: Value,
        options: Options = DEFAULTS,
        positions: dict[int, tuple[int, int]] | None = None,
        statements: dict[int, int] | None = None,
    ) -> Draft:
        """The answer without the picture's layout. ``positions``: where in the program each node
        was made (``parse``'s), for errors; ``statements``: which made each node, for folding."""
        nodes, _ = trace(root)
        if not statements and options.picture:
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
        drawn, folds, clusters, found = plan(described, options.folded, self.renderer.max_nodes)
        look = Look(options.theme, folds, clusters, options.direction)
        # refuses a graph too big or tangled to lay out, first
        prepared = self.renderer.prepare(drawn, look) if options.picture else None
        response = GraphResponse(
            nodes=described,
            output=ids[id(root)],
            backward_order=[ids[id(node)] for node in reversed(nodes)],
            checks=self.checks(root, nodes, ids, options.h),
            h=options.h,
            svg="",
            groups=[
                StatementGroup(
                    statement=g.statement, name=g.name, output=g.output, members=g.members, summary=g.summary
                )
                for g in found
            ],
            folded=sorted({g.statement for g in found if g.output in folds}),
        )
        return Draft(response, prepared)

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


K = TypeVar("K")
T = TypeVar("T")


async def _shared(pending: dict[K, asyncio.Future[T]], key: K, make: Callable[[], Awaitable[T]]) -> T:
    """``await make()``; callers with the same key meanwhile wait (on the loop) for its result
    or error instead of running their own. If the first caller goes away, a waiter goes on."""
    while (first := pending.get(key)) is not None:
        try:
            return await asyncio.shield(first)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not first.cancelled() or (task is not None and task.cancelling()):
                raise
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    pending[key] = future
    try:
        result = await make()
    except asyncio.CancelledError:
        future.cancel()
        raise
    except Exception as error:
        future.set_exception(error)
        future.exception()  # retrieved: nobody else may be waiting for it
        raise
    finally:
        del pending[key]
    future.set_result(result)
    return result


@asynccontextmanager
async def _place(slots: Slots, client: str, doing: str) -> AsyncIterator[None]:
    """Hold one of ``slots``' places; Busy says what the server is busy with."""
    async with AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(slots.hold(client))
        except Busy:
            message = f"the server is busy {doing} ({slots.size} at a time); try again soon"
            raise Busy(message, retry_after=5) from None
        yield


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
        graphs_per_process=settings.dot_graphs_per_process,
    )
    return GraphService(
        renderer,
        settings.max_checked_leaves,
        settings.max_check_evaluations,
        settings.graph_cache_bytes,
        max_builds=settings.max_graph_builds,
    )
