"""Drives one Jupyter kernel through jupyter_client and prints its latencies and memory as JSON.

Run with Debian's Python: /usr/bin/python3 driver.py <kernel name> <cells json> <result file>
The kernel is found through JUPYTER_PATH (the suite writes the kernelspecs into a temporary directory).
<cells json> names the code to run, in the kernel's language: setup, trivial, function, complete, inspect.
"""
import json
import os
import sys
import time

import psutil
from jupyter_client import KernelManager

QUICK = bool(os.environ.get("BENCH_QUICK"))
TIMEOUT = 120
STARTS = 1 if QUICK else 5
TRIVIAL_CELLS = 20 if QUICK else 200
FUNCTION_CELLS = 10 if QUICK else 100
REQUESTS = 10 if QUICK else 100
CELLS_FOR_MEMORY = 50 if QUICK else 1000


def milliseconds_since(start):
    return (time.perf_counter() - start) * 1000


def wait_for_reply(client, msg_id):
    """The reply to msg_id on the shell channel, skipping replies to earlier requests."""
    while True:
        message = client.get_shell_msg(timeout=TIMEOUT)
        if message["parent_header"].get("msg_id") == msg_id:
            return message


def execute(client, code):
    """Runs a cell; returns once both its execute_reply and its idle status arrived. Raises on error replies."""
    msg_id = client.execute(code, store_history=True)
    reply = wait_for_reply(client, msg_id)
    while True:
        message = client.get_iopub_msg(timeout=TIMEOUT)
        if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell {code!r} failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return reply


def timed(action, repetitions):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        action()
        times.append(milliseconds_since(start))
    return times


def tree_rss(pid):
    """Resident memory in bytes of a process and all its descendants."""
    root = psutil.Process(pid)
    return sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])


def start(kernel_name, cells):
    """Starts a kernel; returns (manager, client, ms to kernel_info_reply, ms to the first finished cell)."""
    begin = time.perf_counter()
    manager = KernelManager(kernel_name=kernel_name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=TIMEOUT)
    ready = milliseconds_since(begin)
    execute(client, cells["trivial"])
    return manager, client, ready, milliseconds_since(begin)


def stop(manager, client):
    client.stop_channels()
    manager.shutdown_kernel(now=False)


def main():
    kernel_name, cells_json, result_file = sys.argv[1:4]
    cells = json.loads(cells_json)
    result = {"kernel": kernel_name, "samplesMs": {}, "memory": {}, "errors": []}
    try:
        for _ in range(STARTS):
            manager, client, ready, first_cell = start(kernel_name, cells)
            result["samplesMs"].setdefault("start to kernel_info_reply", []).append(ready)
            result["samplesMs"].setdefault("start to first cell done", []).append(first_cell)
            stop(manager, client)
        manager, client, _, _ = start(kernel_name, cells)
        try:
            pid = manager.provisioner.pid
            result["memory"]["RSS after start"] = tree_rss(pid)
            execute(client, cells["setup"])
            result["samplesMs"]["cell `1+1` round trip"] = timed(lambda: execute(client, cells["trivial"]), TRIVIAL_CELLS)
            result["samplesMs"]["cell declaring and calling a function"] = timed(lambda: execute(client, cells["function"]), FUNCTION_CELLS)
            code, cursor = cells["complete"], len(cells["complete"])
            result["samplesMs"]["complete_request"] = timed(lambda: wait_for_reply(client, client.complete(code, cursor)), REQUESTS)
            code, cursor = cells["inspect"], len(cells["inspect"])
            result["samplesMs"]["inspect_request"] = timed(lambda: wait_for_reply(client, client.inspect(code, cursor)), REQUESTS)
            result["checks"] = {
                "completions": len(wait_for_reply(client, client.complete(cells["complete"], len(cells["complete"])))["content"]["matches"]),
                "inspect found": wait_for_reply(client, client.inspect(cells["inspect"], len(cells["inspect"])))["content"]["found"],
            }
            cells_so_far = 1 + 1 + TRIVIAL_CELLS + FUNCTION_CELLS
            for _ in range(CELLS_FOR_MEMORY - cells_so_far):
                execute(client, cells["trivial"])
            result["memory"][f"RSS after {CELLS_FOR_MEMORY} cells"] = tree_rss(pid)
        finally:
            stop(manager, client)
    except Exception as error:  # reported in the table; the other kernels still run
        result["errors"].append(f"{type(error).__name__}: {error}".split("\n")[0])
    with open(result_file, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
