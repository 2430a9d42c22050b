"""Fair turns on one gevent hub: a ready greenlet waits for a slice of work, not for all of it."""

import time

import gevent
import pytest

from app import fair_turns

STREAMS = 400
STEP_S = 0.0005  # CPU per stream step: the batch of all streams is 200 ms of work


def spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def steps_before_probe(turns: fair_turns._Turns | None) -> int:
    """Streams all wake at 20 ms; a probe due at 25 ms records how many steps ran before it did."""
    done = [0]

    def stream() -> None:
        gevent.sleep(0.02)  # every stream's data arrives at once
        for _ in range(2):
            if turns is not None and turns.busy():
                turns.park()
            spin(STEP_S)
            done[0] += 1

    seen = []

    def probe() -> None:
        gevent.sleep(0.025)
        seen.append(done[0])

    greenlets = [gevent.spawn(stream) for _ in range(STREAMS)] + [gevent.spawn(probe)]
    gevent.joinall(greenlets, timeout=30)
    assert done[0] == 2 * STREAMS
    return seen[0]


def test_a_ready_greenlet_runs_after_about_one_slice_of_parked_work():
    turns = fair_turns._Turns(gevent.get_hub())
    # A slice is 3 ms, six steps; the streams' own first turn and one resumed slice pass first.
    assert steps_before_probe(turns) <= 60
    assert not turns.parked and not turns.watching


def test_without_turns_a_ready_greenlet_waits_for_every_ready_stream():
    assert steps_before_probe(None) >= STREAMS


def test_parked_greenlets_resume_oldest_first():
    turns = fair_turns._Turns(gevent.get_hub())
    order = []

    def worker(name: int) -> None:
        turns.iteration, turns.turn_started = turns.loop.iteration, 0.0  # this turn is used up
        turns.park()
        order.append(name)

    gevent.joinall([gevent.spawn(worker, name) for name in range(5)], timeout=5)
    assert order == [0, 1, 2, 3, 4]


def test_starting_steps_resume_before_the_batches_of_flowing_streams():
    turns = fair_turns._Turns(gevent.get_hub())
    order = []

    def worker(name: str, starting: bool) -> None:
        turns.iteration, turns.turn_started = turns.loop.iteration, 0.0
        turns.park(starting)
        order.append(name)

    names = [("flowing 1", False), ("flowing 2", False), ("new request", True), ("flowing 3", False)]
    gevent.joinall([gevent.spawn(worker, name, starting) for name, starting in names], timeout=5)
    assert order == ["new request", "flowing 1", "flowing 2", "flowing 3"]


def test_flowing_streams_keep_a_share_of_every_slice_while_new_requests_wait():
    turns = fair_turns._Turns(gevent.get_hub())
    done = {"start": 0, "flow": 0}

    def worker(kind: str) -> None:
        for _ in range(3):
            if turns.busy():
                turns.park(starting=kind == "start")
            spin(0.001)
            done[kind] += 1

    starts = [gevent.spawn(worker, "start") for _ in range(200)]  # 600 ms of starting work
    flows = [gevent.spawn(worker, "flow") for _ in range(5)]
    gevent.joinall(flows, timeout=30)
    assert done["flow"] == 15
    assert done["start"] < 300  # they finished while most starting work was still queued (not after all 600)
    gevent.joinall(starts, timeout=30)


def test_a_flowing_stream_moves_every_turn_even_when_starting_steps_overrun_the_slice():
    turns = fair_turns._Turns(gevent.get_hub())
    done = {"start": 0, "flow": 0}

    def worker(kind: str, steps: int, step_s: float) -> None:
        for _ in range(steps):
            if turns.busy():
                turns.park(starting=kind == "start")
            spin(step_s)
            done[kind] += 1

    starts = [gevent.spawn(worker, "start", 1, 0.008) for _ in range(40)]  # each step overruns a slice
    flow = gevent.spawn(worker, "flow", 5, 0.0001)
    flow.join(timeout=30)
    assert done["flow"] == 5
    assert done["start"] < 40  # the stream finished while new requests were still starting
    gevent.joinall(starts, timeout=30)


def test_a_parked_greenlet_that_is_killed_leaves_the_others_to_resume():
    turns = fair_turns._Turns(gevent.get_hub())
    resumed = []

    def worker(name: str) -> None:
        turns.iteration, turns.turn_started = turns.loop.iteration, 0.0
        turns.park()
        resumed.append(name)

    first, second = gevent.spawn(worker, "first"), gevent.spawn(worker, "second")
    gevent.sleep(0)  # both parked: the loop has not turned since
    first.kill()
    second.join(timeout=5)
    assert resumed == ["second"]
    assert not turns.parked


def test_nothing_parks_outside_a_gevent_patched_process(monkeypatch):
    monkeypatch.setattr(fair_turns, "_turns", None)
    fair_turns.take_turn()
    assert fair_turns._turns is False


def test_a_slice_of_zero_leaves_the_app_as_it_is(monkeypatch):
    monkeypatch.setattr(fair_turns, "_turns", None)
    monkeypatch.setattr(fair_turns, "SLICE", fair_turns.SLICE)

    def wsgi_app(environ, start_response):
        return [b""]

    assert fair_turns.taking_turns(wsgi_app, 0) is wsgi_app
    assert fair_turns._turns is False


@pytest.mark.parametrize(
    ("path", "turns_taken"), [("/health", 0), ("/metrics", 0), ("/v1/chat/completions", 1)]
)
def test_only_requests_that_do_real_work_take_a_turn(monkeypatch, path, turns_taken):
    taken = []
    monkeypatch.setattr(fair_turns, "take_turn", lambda starting: taken.append((path, starting)))
    monkeypatch.setattr(fair_turns, "SLICE", fair_turns.SLICE)
    app = fair_turns.taking_turns(lambda environ, start_response: [b"ok"], 5)
    assert app({"PATH_INFO": path}, None) == [b"ok"]
    assert taken == [(path, True)] * turns_taken
