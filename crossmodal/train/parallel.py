"""Independent training tasks side by side in worker processes, each with its own threads.

Training steps here are bound by arithmetic, and a small model does not keep many threads busy:
two single-thread processes do more work than one process with two threads. A run is a small
graph of tasks (the VAE pair, then our translator's members; the ablation's members, the
baseline and the recogniser beside them); `run_tasks` starts the longest path first and keeps
`jobs` processes busy. With one job it runs the tasks in this process, one after another.

Workers are forked, so they share the parent's prepared data without copying it; a task is a
top-level function called as `fn(context, *args)`. A worker that dies ends the run with a
one-line error; every task resumes from its last checkpoint when the run is started again.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, NamedTuple

from tqdm.auto import tqdm

from crossmodal.errors import CrossmodalError
from crossmodal.threads import threads


@dataclass(frozen=True)
class Task:
    """One unit of training: `fn(context, *args)`, started once every task in `after` is done.
    `cost` is its expected share of the run's time, used only to start long paths first."""

    name: str
    fn: Callable[..., Any]
    args: tuple = ()
    after: tuple[str, ...] = ()
    cost: float = 1.0


class TaskTime(NamedTuple):
    """A task's wall seconds, and the CPU seconds of its process over all its threads: the
    cost that other work on the same machine does not inflate."""

    seconds: float
    core_seconds: float


_CONTEXT: Any = None  # what forked workers inherit: the prepared data of the run


def _call(task: Task, n_threads: int) -> TaskTime:
    start, cpu = time.perf_counter(), time.process_time()
    with threads(n_threads):
        task.fn(_CONTEXT, *task.args)
    return TaskTime(round(time.perf_counter() - start, 1), round(time.process_time() - cpu, 1))


def _order(tasks: list[Task]) -> dict[str, float]:
    """Each task's longest remaining path (its cost plus its heaviest chain of dependants)."""
    by_name = {t.name: t for t in tasks}
    unknown = [d for t in tasks for d in t.after if d not in by_name]
    if unknown or len(by_name) != len(tasks):
        raise CrossmodalError(f"bad task graph: unknown or repeated names {unknown}")
    dependants: dict[str, list[str]] = {t.name: [] for t in tasks}
    for t in tasks:
        for d in t.after:
            dependants[d].append(t.name)
    path: dict[str, float] = {}

    def longest(name: str, seen: tuple[str, ...] = ()) -> float:
        if name in seen:
            raise CrossmodalError(f"bad task graph: a cycle through {name}")
        if name not in path:
            path[name] = by_name[name].cost + max(
                (longest(d, (*seen, name)) for d in dependants[name]), default=0.0)
        return path[name]

    for t in tasks:
        longest(t.name)
    return path


def run_tasks(tasks: list[Task], context: Any, jobs: int, threads_each: int,
              progress: bool = True) -> dict[str, TaskTime]:
    """Run every task after its dependencies, `jobs` at a time; returns each one's time."""
    global _CONTEXT
    priority = _order(tasks)
    pending = sorted(tasks, key=lambda t: -priority[t.name])
    _CONTEXT = context
    try:
        if jobs <= 1:
            return {task.name: _in_process(task, threads_each) for task in _topological(pending)}
        return _in_workers(pending, jobs, threads_each, progress)
    finally:
        _CONTEXT = None


def _in_process(task: Task, threads_each: int) -> TaskTime:
    print(f"  - {task.name}", flush=True)
    return _call(task, threads_each)


def _in_workers(pending: list[Task], jobs: int, threads_each: int,
                progress: bool) -> dict[str, TaskTime]:
    """`pending` (longest chain first) in `jobs` forked workers, each task once its
    dependencies are done."""
    done: dict[str, TaskTime] = {}
    bar = tqdm(total=len(pending), desc="tasks", unit="task", disable=None if progress else True)
    running: dict[Future, Task] = {}
    # fork: workers see the parent's data without a copy; spawn would pickle all of it
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))
    try:
        while pending or running:
            ready = [t for t in pending if all(d in done for d in t.after)]
            for task in ready[: jobs - len(running)]:
                pending.remove(task)
                running[pool.submit(_call, task, threads_each)] = task
                bar.write(f"  - {task.name} started")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                done[task.name] = _result(future, task, running)
                bar.write(f"  - {task.name} done in {done[task.name].seconds:.0f} s")
                bar.update()
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # workers save their checkpoints first
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        bar.close()
    return done


#: How long an orphaned worker's task has to save its checkpoint before the worker exits.
ORPHAN_GRACE_SECONDS = 30.0


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: when the run's process is gone (killed outright, or stopped by a
    signal that reached its workers too), the worker ends instead of waiting for work forever,
    holding its memory. SIGTERM first: a training task saves its checkpoint on it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _result(future: Future, task: Task, running: dict[Future, Task]) -> TaskTime:
    try:
        return future.result()
    except BrokenProcessPool:
        names = ", ".join([task.name, *(t.name for t in running.values())])
        raise CrossmodalError(
            f"a training worker died (killed, or out of memory) while running {names}; "
            "run the same command again to resume from the last checkpoints") from None


def _topological(tasks: list[Task]) -> list[Task]:
    """`tasks` in an order that respects `after`, keeping the given order where free."""
    order: list[Task] = []
    placed: set[str] = set()
    remaining = list(tasks)
    while remaining:
        task = next(t for t in remaining if all(d in placed for d in t.after))
        remaining.remove(task)
        order.append(task)
        placed.add(task.name)
    return order

