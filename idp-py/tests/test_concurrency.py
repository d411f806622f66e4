"""Threads share one runtime and run while a call waits; a forked child gets a clear error."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import select
import signal
import threading
import time

import pytest

import idp

from conftest import ROOT


def test_eight_threads_list_at_once(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    platform = idp.Platform.local(state_dir=tmp_path)
    names = [f"env-{i}" for i in range(5)]
    memory = idp.Platform.memory()
    for name in names:
        memory.create("api-service", name)
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                results.append([e.name for e in memory.list()])
                platform.list()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 8 * 20
    assert all(r == names for r in results)


def test_the_gil_is_released_while_a_call_waits(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    platform = idp.Platform.local(state_dir=tmp_path)
    slow = {"command": "sleep 1; exec python3 examples/app/server.py"}
    call = threading.Thread(target=lambda: platform.create("api-service", "slow", local=slow, health_check_path="/health"))
    try:
        call.start()
        time.sleep(0.2)
        ticks = 0
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            ticks += 1
        assert call.is_alive(), "the create should still be waiting for the app"
        # With the GIL held by the waiting call, this thread could not have run at all.
        assert ticks > 10_000
    finally:
        call.join(timeout=60)
        platform.destroy("slow")


def test_a_forked_child_gets_a_clear_error_not_a_hang() -> None:
    platform = idp.Platform.memory()
    platform.list()  # the shared runtime exists (and has threads) before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what happens, never return into pytest
        try:
            os.close(read)
            try:
                platform.list()
                message = "no error"
            except idp.IdpError as error:
                message = f"{error.kind}|{error}|{idp.env_name('feature/x')}"
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 30)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    message = os.read(read, 4096).decode()
    os.close(read)
    os.waitpid(pid, 0)
    kind, text, name = message.split("|")
    assert kind == "forked_process"
    assert text.startswith("idp cannot be used in a forked child; create a new process with spawn")
    # Functions that need no runtime keep working in the child.
    assert name == "preview-x"


def count_in_a_fresh_process(queue: multiprocessing.Queue[int]) -> None:
    platform = idp.Platform.memory()
    platform.create("api-service", "demo")
    queue.put(len(platform.list()))


def test_a_spawned_process_works() -> None:
    idp.Platform.memory().list()
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[int] = context.Queue()
    process = context.Process(target=count_in_a_fresh_process, args=(queue,))
    process.start()
    assert queue.get(timeout=60) == 1
    process.join(timeout=60)
    assert process.exitcode == 0


def test_ctrl_c_interrupts_a_waiting_call(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    platform = idp.Platform.local(state_dir=tmp_path)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        # Never healthy: without the interrupt this waits until `sleep 3` exits.
        platform.create("api-service", "stuck", local={"command": "sleep 3"}, health_check_path="/health")
    assert time.monotonic() - started < 2.5
    timer.join()
    # The abandoned create still holds its lease; unlock is how a user recovers.
    assert [(e.name, e.status) for e in platform.list()] == [("stuck", "provisioning")]
    report = platform.unlock("stuck")
    assert report.unlocked and report.lease is not None
    assert report.lease.owner.startswith("deploy:")
