"""The runtime workloads in real PyTorch, driven like runtime/child.mjs drives the JavaScript systems.

Run with Debian's PyTorch: /usr/bin/python3 torch_workloads.py <inputs dir> <result file>
Single-threaded (torch.set_num_threads(1)), as every JavaScript peer here is.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

QUICK = bool(os.environ.get("BENCH_QUICK"))
ONLY = [prefix for prefix in os.environ.get("BENCH_ONLY", "").split(",") if prefix]


def sample(run, plan):
    """Milliseconds of each timed call of run(), with the repetition rule of lib/stats.mjs."""
    if QUICK:
        plan = {"warmup": min(plan["warmup"], 1), "warmupMs": 0, "minReps": 1, "maxReps": 2, "budgetMs": 0}
    slowest = 0.0
    warmed = 0
    warmup_start = time.perf_counter()
    while (warmed < plan["warmup"] or (time.perf_counter() - warmup_start) * 1000 < plan.get("warmupMs", 0)) and slowest <= plan["budgetMs"]:
        start = time.perf_counter()
        run()
        slowest = max(slowest, (time.perf_counter() - start) * 1000)
        warmed += 1
    required = 1 if slowest > plan["budgetMs"] else plan["minReps"]
    times = []
    begin = time.perf_counter()
    while len(times) < plan["maxReps"] and (len(times) < required or (time.perf_counter() - begin) * 1000 < plan["budgetMs"]):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def digest_value(value):
    """Same digest as runtime/digest.mjs: a number, or [sum, sum|x|, first, middle, last, length] in float64."""
    if isinstance(value, float):
        return [value]
    flat = value.detach().reshape(-1).double()
    return [flat.sum().item(), flat.abs().sum().item(), flat[0].item(), flat[flat.numel() // 2].item(), flat[-1].item(), flat.numel()]


def read_inputs(directory):
    """(settings, workloads, tensors) from the manifest and binary files the harness wrote."""
    with open(os.path.join(directory, "inputs.json")) as manifest_file:
        manifest = json.load(manifest_file)
    tensors = {}
    for name, entry in manifest["tensors"].items():
        dtype = np.int32 if entry["dtype"] == "int32" else np.float32
        array = np.fromfile(os.path.join(directory, entry["file"]), dtype=dtype).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array).long() if entry["dtype"] == "int32" else torch.from_numpy(array)
    return manifest["settings"], manifest["workloads"], tensors


def load(pairs):
    """Copies initial values into parameters outside the graph."""
    with torch.no_grad():
        for parameter, value in pairs:
            parameter.copy_(value)


def scalar_workload(config):
    """W1: one run is `iterations` fresh graphs z = x*w + b, MSE, backward, grads zeroed (set to None) each time."""
    x, y = torch.tensor(float(config["x"])), torch.tensor(float(config["y"]))
    w = torch.tensor(float(config["w"]), requires_grad=True)
    b = torch.tensor(float(config["b"]), requires_grad=True)
    state = {}

    def run_one():
        w.grad = None
        b.grad = None
        state["loss"] = F.mse_loss(x * w + b, y)
        state["loss"].backward()

    def run():
        for _ in range(config["iterations"]):
            run_one()

    return run, lambda: {"loss": state["loss"].item(), "w_grad": w.grad.item(), "b_grad": b.grad.item()}


def matmul_workloads(n, tensors):
    """W2: (forward, backward, check) for A@B and sum(A@B).backward() on the n x n inputs."""
    a = tensors[f"matmul{n}_a"].clone().requires_grad_()
    b = tensors[f"matmul{n}_b"].clone().requires_grad_()
    state = {}

    def forward():
        with torch.no_grad():
            torch.matmul(a, b)

    def backward():
        a.grad = None
        b.grad = None
        state["loss"] = torch.matmul(a, b).sum()
        state["loss"].backward()

    return forward, backward, lambda: {"loss": state["loss"].item(), "a_grad": a.grad, "b_grad": b.grad}


def mlp_workload(config, tensors):
    """W3: (one SGD step, check of the first step's loss and gradients and of the loss at checkSteps)."""
    inputs, hidden, outputs = config["sizes"]
    first, second = torch.nn.Linear(inputs, hidden), torch.nn.Linear(hidden, outputs)
    model = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    initial = [(first.weight, tensors["mlp_w1"]), (first.bias, tensors["mlp_b1"]), (second.weight, tensors["mlp_w2"]), (second.bias, tensors["mlp_b2"])]
    load(initial)
    state = {}

    def step():
        optimizer.zero_grad()
        state["loss"] = F.cross_entropy(model(tensors["mlp_x"]), tensors["mlp_labels"])
        state["loss"].backward()
        optimizer.step()

    def check():
        load(initial)
        step()
        result = {"loss": state["loss"].item(), "w1": first.weight.grad, "b1": first.bias.grad, "w2": second.weight.grad, "b2": second.bias.grad}
        result = {name: value if isinstance(value, float) else value.clone() for name, value in result.items()}
        for _ in range(1, config["checkSteps"]):
            step()
        result[f"loss_step{config['checkSteps']}"] = state["loss"].item()
        return result

    return step, check


def linreg_workload(config, tensors):
    """W4: (all epochs from the initial parameters, check of the last loss, w and b)."""
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    initial = [(model.weight, tensors["linreg_w"]), (model.bias, tensors["linreg_b"])]
    state = {}

    def run():
        load(initial)
        for _ in range(config["epochs"]):
            optimizer.zero_grad()
            state["loss"] = F.mse_loss(model(tensors["linreg_x"]), tensors["linreg_y"])
            state["loss"].backward()
            optimizer.step()

    return run, lambda: {"loss": state["loss"].item(), "w": model.weight.item(), "b": model.bias.item()}


def prepare(workload, settings, tensors):
    """(run, check or None) for one workload of the manifest."""
    kind = workload["kind"]
    if kind == "scalar":
        return scalar_workload(settings["scalar"])
    if kind in ("matmul_fwd", "matmul_bwd"):
        forward, backward, check = matmul_workloads(workload["size"], tensors)
        return (forward, None) if kind == "matmul_fwd" else (backward, check)
    if kind == "mlp":
        return mlp_workload(settings["mlp"], tensors)
    if kind == "linreg":
        return linreg_workload(settings["linreg"], tensors)
    raise ValueError(f"unknown workload kind {kind}")


def main():
    """Runs every workload of the manifest and writes the result file."""
    inputs_dir, result_file = sys.argv[1:3]
    torch.set_num_threads(1)
    settings, workloads, tensors = read_inputs(inputs_dir)
    result = {"system": f"PyTorch {torch.__version__} (1 thread)", "samplesMs": {}, "checks": {}, "errors": {}}
    for workload in workloads:
        if ONLY and not any(workload["id"].startswith(prefix) for prefix in ONLY):
            continue
        try:
            run, check = prepare(workload, settings, tensors)
            result["samplesMs"][workload["id"]] = sample(run, workload["plan"])
            if check:
                result["checks"][workload["id"]] = {name: digest_value(value) for name, value in check().items()}
        except Exception as error:  # a failing workload is reported, the others still run
            result["errors"][workload["id"]] = f"{type(error).__name__}: {error}".split("\n")[0]
        print(f"  torch {workload['id']} {'failed' if workload['id'] in result['errors'] else 'done'}", file=sys.stderr)
    with open(result_file, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
