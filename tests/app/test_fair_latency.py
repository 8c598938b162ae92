"""What a graph request waits for in the app (GraphService.answer_async, issue 15): a cached
answer waits for nothing, a numbers-only change (its shape's layout kept) only for a build
place, and only a new shape for a `dot` place. "Waits" is checked by holding places, never by
timing: a request that needed a held place could not finish before it is given back."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from app import graph_service
from app.graph_service import GraphService
from app.render import Renderer
from app.schemas import GraphNode, GraphRequest
from app.slots import Busy, Slots
from tests.app.test_layout_reuse import counting, fresh
from tests.app.test_render import counting_dot

LECTURE = "L = (a*b + c)*f"
SAFETY = 60  # s: a scenario that hangs fails instead of stopping the suite


def lecture(a: float) -> GraphRequest:
    return GraphRequest(source=LECTURE, values={"a": a, "b": -3.0, "c": 10.0, "f": -2.0})


def new_shape(k: int) -> GraphRequest:
    return GraphRequest(source="y = x" + " + 1" * (k + 1), values={"x": 1.0})


def picture_is_fresh(answer: graph_service.Answer) -> bool:
    nodes = [GraphNode(**node) for node in json.loads(answer.json)["nodes"]]
    return answer.svg.decode() == fresh(nodes)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, SAFETY))


def take_all(slots: Slots) -> None:
    for _ in range(slots.size):
        assert slots.acquire()


def give_back(slots: Slots, count: int) -> None:
    for _ in range(count):
        slots.release()


async def until(condition, what: str) -> None:
    for _ in range(SAFETY * 100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def test_a_cached_answer_is_served_while_every_place_is_taken_and_uses_no_thread(monkeypatch):
    service = GraphService(Renderer(), cache_bytes=10**6)
    first = service.answer(lecture(2.0))
    # a big request's key is computed in a worker thread instead (it may take milliseconds)
    big = GraphRequest(source=LECTURE + " " * graph_service.KEY_ON_LOOP_CHARS, values=lecture(2.0).values)
    service.answer(big)
    threads = []
    real = graph_service.run_in_threadpool
    monkeypatch.setattr(graph_service, "run_in_threadpool", lambda f, *a: threads.append(f) or real(f, *a))
    take_all(service.slots)
    take_all(service.builds)
    assert run(service.answer_async(lecture(2.0), "A")) == first
    assert threads == [] and service.cache.hits == 1
    assert run(service.answer_async(big, "A")).json == first.json
    assert threads == [graph_service.cache_key] and service.cache.hits == 2


def test_a_numbers_only_change_is_drawn_while_every_dot_place_is_taken():
    service = GraphService(Renderer(), cache_bytes=10**6)
    service.answer(lecture(2.0))  # the lecture's shape is laid out once
    runs = counting(service.renderer)

    async def scenario() -> list[graph_service.Answer]:
        take_all(service.slots)  # long layouts of other shapes
        return [await service.answer_async(lecture(a), "A") for a in (2.5, 3.25, 1.75)]

    answers = run(scenario())
    assert runs == []
    assert all(picture_is_fresh(answer) for answer in answers)
    assert service.renderer.layouts.hits == 3


def test_a_new_shape_waits_for_a_dot_place_without_holding_a_build_place():
    service = GraphService(Renderer(), cache_bytes=10**6, max_builds=1)
    service.answer(lecture(2.0))

    async def scenario() -> None:
        take_all(service.slots)
        waiting = asyncio.create_task(service.answer_async(new_shape(3), "A"))
        await until(lambda: service.slots.waiting == 1, "the new shape waits for a dot place")
        # meanwhile the one build place is free: a numbers-only change is drawn
        assert picture_is_fresh(await service.answer_async(lecture(2.125), "B"))
        assert not waiting.done()
        give_back(service.slots, 1)
        assert picture_is_fresh(await waiting)
        give_back(service.slots, service.slots.size - 1)

    run(scenario())


def test_taken_places_answer_busy_naming_what_the_server_is_busy_with():
    service = GraphService(Renderer(), cache_bytes=10**6, slots=Slots(2, timeout=0.2))
    service.builds = Slots(2, timeout=0.2)
    service.answer(lecture(2.0))

    async def scenario() -> tuple[Busy, Busy]:
        take_all(service.builds)
        with pytest.raises(Busy) as computing:
            await service.answer_async(lecture(3.0))
        give_back(service.builds, service.builds.size)
        take_all(service.slots)
        with pytest.raises(Busy) as drawing:
            await service.answer_async(new_shape(2))
        return computing.value, drawing.value

    computing, drawing = run(scenario())
    assert computing.message.startswith("the server is busy working on other graphs (2 at a time)")
    assert drawing.message.startswith("the server is busy drawing other graphs (2 at a time)")
    assert computing.retry_after == drawing.retry_after == 5


def test_requests_for_one_new_shape_share_one_layout_and_each_gets_its_own_numbers():
    service = GraphService(Renderer(), cache_bytes=10**6)
    runs = counting(service.renderer)
    counted = service.renderer.run_dot
    service.renderer.run_dot = lambda dot: time.sleep(0.3) or counted(dot)  # type: ignore[method-assign]

    async def scenario() -> list[graph_service.Answer]:
        requests = [lecture(a) for a in (2.0, 2.5, 3.0, 3.25, 1.75, 2.125)]
        return await asyncio.gather(*(service.answer_async(r, f"c{k}") for k, r in enumerate(requests)))

    answers = run(scenario())
    assert len(runs) == 1
    assert len({answer.svg for answer in answers}) == 6
    assert all(picture_is_fresh(answer) for answer in answers)


def test_when_the_first_of_identical_requests_goes_away_the_others_are_still_answered():
    service = GraphService(Renderer(), cache_bytes=10**6)
    gate = asyncio.Event()
    real = service.renderer.layout

    async def scenario() -> graph_service.Answer:
        loop = asyncio.get_running_loop()

        def held_layout(picture):
            asyncio.run_coroutine_threadsafe(gate.wait(), loop).result()
            return real(picture)

        service.renderer.layout = held_layout
        first = asyncio.create_task(service.answer_async(lecture(2.0), "A"))
        await until(lambda: service._laying_out, "the first request lays the shape out")
        second = asyncio.create_task(service.answer_async(lecture(2.0), "B"))
        await asyncio.sleep(0.05)  # the second now waits for the first's answer
        first.cancel()
        await asyncio.sleep(0.05)
        assert not second.done()
        gate.set()
        return await second

    answer = run(scenario())
    assert picture_is_fresh(answer)
    assert service._pending == {} and service._laying_out == {}


def test_a_client_with_many_requests_waits_behind_one_with_a_single_request():
    service = GraphService(Renderer(), cache_bytes=10**6, max_builds=1)
    service.answer(lecture(2.0))
    served: list[str] = []

    async def scenario() -> None:
        assert service.builds.acquire()  # another request is computing

        async def ask(client: str, a: float) -> None:
            await service.answer_async(lecture(a), client)
            served.append(f"{client}{a:g}")

        tasks = [asyncio.create_task(ask("A", a)) for a in (2.5, 3, 3.25)]
        await until(lambda: service.builds.waiting == 3, "A's requests wait")
        tasks.append(asyncio.create_task(ask("B", 1.75)))
        await until(lambda: service.builds.waiting == 4, "B's request waits")
        service.builds.release()
        await asyncio.gather(*tasks)

    run(scenario())
    assert served == ["A2.5", "B1.75", "A3", "A3.25"]


def test_at_most_max_processes_dots_run_at_once_through_the_async_path(tmp_path):
    dot, counts = counting_dot(tmp_path)
    service = GraphService(Renderer(dot_command=dot, max_processes=2, timeout=60.0), cache_bytes=0)

    async def scenario() -> list[graph_service.Answer]:
        return await asyncio.gather(*(service.answer_async(new_shape(k), f"c{k % 3}") for k in range(8)))

    assert len(run(scenario())) == 8
    seen = [int(line) for line in counts.read_text().split()]
    assert len(seen) == 8 and max(seen) == 2
