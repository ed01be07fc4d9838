"""Drives the tsgrad kernel through jupyter_client as Jupyter frontends do: start, run, interrupt a busy
loop (by message and by SIGINT), restart, shut down. Prints one JSON object of findings; exits non-zero on
the first failed expectation.

    TSGRAD_KERNEL_NAME=tsgrad /usr/bin/python3 client_lifecycle.py
"""

import json
import os
import signal
import sys
import time

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60
findings = {}


def run(kc, code, timeout=TIMEOUT):
    """Executes code; returns (reply content, text/plain of the result or None, stdout text)."""
    outputs = {"result": None, "stdout": ""}

    def on_iopub(msg):
        kind = msg["msg_type"]
        if kind == "execute_result":
            outputs["result"] = msg["content"]["data"]["text/plain"]
        elif kind == "stream" and msg["content"]["name"] == "stdout":
            outputs["stdout"] += msg["content"]["text"]

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=on_iopub)
    return reply["content"], outputs["result"], outputs["stdout"]


def expect(condition, message):
    if not condition:
        print(json.dumps(findings, indent=2))
        sys.exit(f"FAILED: {message}")


def interrupt_busy_loop(km, kc, how):
    msg_id = kc.execute("while (true) {}")
    time.sleep(1.5)
    started = time.monotonic()
    if how == "message":
        km.interrupt_kernel()
    else:
        km.signal_kernel(signal.SIGINT)
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    findings[f"interrupt_by_{how}_seconds"] = round(time.monotonic() - started, 3)
    findings[f"interrupt_by_{how}_reply"] = {k: reply["content"].get(k) for k in ("status", "ename")}
    expect(reply["content"]["status"] == "error", f"interrupted cell ({how}) should end in error")
    expect(km.is_alive(), f"kernel died on interrupt by {how}")


def main():
    kernel_name = os.environ.get("TSGRAD_KERNEL_NAME", "tsgrad")
    started = time.monotonic()
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=TIMEOUT)
    findings["start_seconds"] = round(time.monotonic() - started, 3)
    try:
        info = kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]
        findings["implementation"] = info["implementation"]
        expect(info["language_info"]["name"] == "typescript", "language_info.name")

        content, result, _ = run(kc, "const kept = 41; kept + 1")
        expect(content["status"] == "ok" and result == "42", f"first cell gave {content} / {result}")

        interrupt_busy_loop(km, kc, "message")
        interrupt_busy_loop(km, kc, "signal")
        _, result, _ = run(kc, "kept")
        expect(result == "41", f"state lost after interrupts: {result}")

        started = time.monotonic()
        km.restart_kernel()
        kc.wait_for_ready(timeout=TIMEOUT)
        findings["restart_seconds"] = round(time.monotonic() - started, 3)
        content, result, _ = run(kc, "kept")
        findings["after_restart"] = {k: content.get(k) for k in ("status", "ename", "evalue")}
        expect(content["status"] == "error", f"state survived a restart: {content} / {result}")
        expect(content["execution_count"] == 1, f"execution count after restart: {content['execution_count']}")
    finally:
        kc.stop_channels()
        started = time.monotonic()
        km.shutdown_kernel()
        findings["shutdown_seconds"] = round(time.monotonic() - started, 3)
    expect(not km.is_alive(), "kernel still alive after shutdown")
    print(json.dumps(findings))


if __name__ == "__main__":
    main()
