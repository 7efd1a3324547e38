"""SQLite writers line up: one at a time across threads and across worker processes."""

import contextlib
import gc
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from circularity.db import WriterQueue, fcntl

pytestmark = pytest.mark.skipif(fcntl is None, reason="flock is POSIX")


def _hold_turns(queue: WriterQueue, log_path: str, turns: int) -> None:
    for _ in range(turns):
        with queue.turn(), open(log_path, "a") as log:
            log.write("in\n")
            log.flush()
            time.sleep(0.002)
            log.write("out\n")


def _assert_one_at_a_time(lines: list[str], expected_turns: int) -> None:
    assert lines == ["in", "out"] * expected_turns  # never two "in"s in a row


def test_processes_take_turns_even_after_a_fork(tmp_path):
    lock_path, log_path = str(tmp_path / "db-writers"), str(tmp_path / "log")
    queue = WriterQueue(lock_path)
    with queue.turn():  # its descriptor is open before the fork, as in a preloading server
        pass
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_hold_turns, args=(queue, log_path, 20)) for _ in range(3)]
    for child in children:
        child.start()
    _hold_turns(queue, log_path, 20)
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    _assert_one_at_a_time(Path(log_path).read_text().split(), 80)


def test_threads_take_turns_and_a_nested_turn_does_not_wait_for_itself(tmp_path):
    queue = WriterQueue(str(tmp_path / "db-writers"))
    inside, overlaps = [0], []

    def work():
        for _ in range(50):
            with queue.turn():
                inside[0] += 1
                overlaps.append(inside[0])
                with queue.turn():  # a write inside a write
                    time.sleep(0.0001)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps == [1] * 200


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads descriptors in /proc")
def test_a_dropped_queue_closes_its_lock_file(tmp_path):
    def lock_files_open() -> list[str]:
        targets = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone
                targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [t for t in targets if t.startswith(str(tmp_path))]

    queues = [WriterQueue(str(tmp_path / f"db{i}-writers")) for i in range(3)]
    for queue in queues:
        with queue.turn():
            pass
    assert len(lock_files_open()) == 3
    del queue, queues
    gc.collect()
    assert lock_files_open() == []
