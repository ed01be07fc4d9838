"""Drives one Jupyter kernel through jupyter_client and prints its latencies and memory as JSON.

Run with Debian's Python: /usr/bin/python3 driver.py <kernel name> <cells json> <result file>
The kernel is found through JUPYTER_PATH (the suite writes the kernelspecs into a temporary directory).
<cells json> names the code to run, in the kernel's language: setup, trivial, function, complete, inspect.
"""
import json
import os
import queue
import sys
import time

import psutil
import zmq
from jupyter_client import KernelManager

QUICK = bool(os.environ.get("BENCH_QUICK"))
TIMEOUT = 120
LOST_AFTER = 2
REPLY_TIMEOUT = 30
STARTS = 1 if QUICK else 5
TRIVIAL_CELLS = 20 if QUICK else 200
FUNCTION_CELLS = 10 if QUICK else 100
REQUESTS = 10 if QUICK else 100
CELLS_FOR_MEMORY = 50 if QUICK else 1000


def milliseconds_since(start):
    """Milliseconds elapsed since a time.perf_counter() reading."""
    return (time.perf_counter() - start) * 1000


def wait_for_reply(client, msg_id, request):
    """The reply to msg_id on the shell channel, skipping replies to earlier requests; MessageLost if none comes."""
    deadline = time.perf_counter() + REPLY_TIMEOUT
    while True:
        try:
            message = client.get_shell_msg(timeout=max(0, deadline - time.perf_counter()))
        except queue.Empty:
            raise MessageLost(f"{request}_reply") from None
        if message["parent_header"].get("msg_id") == msg_id:
            return message


class MessageLost(Exception):
    """A reply or a cell's idle status never came (tslab drops messages)."""


def execute(client, code):
    """Runs a cell; returns its execute_reply once both the reply and the idle status arrived.

    Raises MessageLost when one of them is still missing LOST_AFTER seconds after the other, and RuntimeError
    when the cell failed.
    """
    msg_id = client.execute(code, store_history=True)
    shell, iopub = client.shell_channel.socket, client.iopub_channel.socket
    poller = zmq.Poller()
    poller.register(shell, zmq.POLLIN)
    poller.register(iopub, zmq.POLLIN)
    reply, idle, deadline = None, False, time.perf_counter() + TIMEOUT
    while reply is None or not idle:
        ready = dict(poller.poll(max(0, deadline - time.perf_counter()) * 1000))
        if not ready:
            if reply is None and not idle:
                raise TimeoutError(f"no reply to {code!r} in {TIMEOUT} s")
            raise MessageLost("status idle" if reply is not None else "execute_reply")
        if shell in ready:
            message = client.get_shell_msg(timeout=0)
            if message["parent_header"].get("msg_id") == msg_id:
                reply = message
                deadline = min(deadline, time.perf_counter() + LOST_AFTER)
        if iopub in ready:
            message = client.get_iopub_msg(timeout=0)
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                idle = True
                deadline = min(deadline, time.perf_counter() + LOST_AFTER)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell {code!r} failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return reply


def timed(action, repetitions, lost):
    """Milliseconds of each call of action(); a call that lost a message is appended to `lost`, not timed."""
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        try:
            action()
        except MessageLost as missing:
            lost.append(str(missing))
            continue
        times.append(milliseconds_since(start))
    return times


def tree_rss(pid):
    """Resident memory in bytes of a process and all its descendants."""
    root = psutil.Process(pid)
    return sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])


def start(kernel_name, cells, lost):
    """Starts a kernel; returns (manager, client, ms to kernel_info_reply, ms to the first finished cell)."""
    begin = time.perf_counter()
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=TIMEOUT)
    ready = milliseconds_since(begin)
    try:
        execute(client, cells["trivial"])
    except MessageLost as missing:
        lost.append(str(missing))
    return manager, client, ready, milliseconds_since(begin)


def stop(manager, client):
    """Closes the channels and shuts the kernel down politely."""
    client.stop_channels()
    manager.shutdown_kernel(now=False)


def main():
    """Measures one kernel and writes the result file."""
    kernel_name, cells_json, result_file = sys.argv[1:4]
    cells = json.loads(cells_json)
    result = {"kernel": kernel_name, "samplesMs": {}, "memory": {}, "errors": [], "lost": []}
    lost = result["lost"]
    try:
        for _ in range(STARTS):
            manager, client, ready, first_cell = start(kernel_name, cells, lost)
            result["samplesMs"].setdefault("start to kernel_info_reply", []).append(ready)
            result["samplesMs"].setdefault("start to first cell done", []).append(first_cell)
            stop(manager, client)
        manager, client, _, _ = start(kernel_name, cells, lost)
        try:
            pid = manager.provisioner.pid
            result["memory"]["RSS after start"] = tree_rss(pid)
            timed(lambda: execute(client, cells["setup"]), 1, lost)
            result["samplesMs"]["cell `1+1` round trip"] = timed(lambda: execute(client, cells["trivial"]), TRIVIAL_CELLS, lost)
            result["samplesMs"]["cell declaring and calling a function"] = timed(lambda: execute(client, cells["function"]), FUNCTION_CELLS, lost)
            for request in ("complete", "inspect"):
                code = cells[request]
                send = getattr(client, request)
                result["samplesMs"][f"{request}_request"] = timed(lambda: wait_for_reply(client, send(code, len(code)), request), REQUESTS, lost)
            result["checks"] = {}
            try:
                result["checks"]["completions"] = len(wait_for_reply(client, client.complete(cells["complete"], len(cells["complete"])), "complete")["content"]["matches"])
                result["checks"]["inspect found"] = wait_for_reply(client, client.inspect(cells["inspect"], len(cells["inspect"])), "inspect")["content"]["found"]
            except MessageLost as missing:
                lost.append(str(missing))
            cells_so_far = 1 + 1 + TRIVIAL_CELLS + FUNCTION_CELLS
            timed(lambda: execute(client, cells["trivial"]), CELLS_FOR_MEMORY - cells_so_far, lost)
            result["memory"][f"RSS after {CELLS_FOR_MEMORY} cells"] = tree_rss(pid)
        finally:
            stop(manager, client)
    except Exception as error:  # reported in the table; the other kernels still run
        result["errors"].append(f"{type(error).__name__}: {error}".split("\n")[0])
    with open(result_file, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
