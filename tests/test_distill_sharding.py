"""Distill-CF on four devices against one: the target users divided over a ``jax.sharding.Mesh``
(docs/distill_cf.md, "Mini-batches and devices").

JAX fixes its device count when it starts, so the comparison runs in a child process started with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (four CPU devices). In it, on generated data
of 302 users (not a multiple of 4: the rows are padded with two zero rows), for all users and for a
batch of 121 (padded to 124): the loss of an update, its gradient (Adam's first moment after one
update is 0.1 × the gradient) and the logits and loss after three updates on the 4-device mesh
equal those on one device within 1e-5 (relative; float32 sums taken in another order differ by
~1e-7 in the loss and ~1e-6 of the largest gradient entry at λ = 1). The padded rows must not count
in the likelihood's mean: counting them would move the loss by about 2/302 = 7e-3 (a test in this
process shows such a miscount is seen).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from functools import partial

from workbench.distill import distillation_loss
from workbench.kernels.ntk import NTKConfig

TESTS = Path(__file__).resolve().parent

CHILD = r"""
import dataclasses, json
import jax, jax.numpy as jnp, numpy as np
from conftest import random_binary_matrix
from workbench.data import Interactions, build_dataset
from workbench.distill import DistillConfig, StepData, StepSettings, init, run_steps, step
from workbench.distill.distill import padded_rows

assert len(jax.devices()) == 4, jax.devices()
matrix = random_binary_matrix(302, 200, 0.04, seed=11)
users, items = matrix.nonzero()
dataset = build_dataset("generated", Interactions(users=users.astype(np.int64), items=items.astype(np.int64), ratings=None,
                                                  split=None, source="generated"), seed=0)
devices = {"one": jax.devices()[:1], "four": jax.devices()}
data = {name: StepData.from_dataset(dataset, devices=chosen) for name, chosen in devices.items()}
report = {"n_users": dataset.n_users, "mesh": data["four"].mesh.size, "one_mesh": data["one"].mesh}

def relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

for batch in (None, 121):
    config = DistillConfig(budget=8, draws=6, target_batch=batch)
    settings = StepSettings.from_config(config)
    first, third = {}, {}
    for name in devices:
        state = dataclasses.replace(init(dataset, config, 0, devices=devices[name]), lam=jnp.asarray(1.0, jnp.float32))
        first[name] = run_steps(state, data[name], 1, settings)
        third[name] = run_steps(first[name], data[name], 2, settings)
    compiled = step._cache_size()
    again = run_steps(dataclasses.replace(third["four"], lam=jnp.asarray(1.0, jnp.float32)), data["four"], 1, settings)
    gradient = {name: np.asarray(first[name].optimizer_state[0].mu) / 0.1 for name in first}  # Adam's first moment
    report[str(batch)] = {
        "rows": padded_rows(batch or dataset.n_users, data["four"].mesh),
        "loss": relative(first["four"].loss, first["one"].loss),
        "gradient": relative(gradient["four"], gradient["one"]),
        "steps": int(third["four"].step),
        "loss_after_steps": relative(third["four"].loss, third["one"].loss),
        "logits_after_steps": relative(third["four"].logits, third["one"].logits),
        "logits_replicated": bool(third["four"].logits.sharding.is_fully_replicated),
        "logits_devices": len(third["four"].logits.sharding.device_set),
        "recompiled_after_a_new_lambda": step._cache_size() != compiled or int(again.step) != 4,
    }
print("REPORT" + json.dumps(report))
"""


@pytest.fixture(scope="module")
def report() -> dict:
    environment = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    environment["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(TESTS.parent), environment.get("PYTHONPATH", "")])
    finished = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=environment, cwd=TESTS, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    line = next(line for line in finished.stdout.splitlines() if line.startswith("REPORT"))
    return json.loads(line.removeprefix("REPORT"))


def test_the_mesh_has_four_devices_and_rows_are_padded(report: dict) -> None:
    assert report["mesh"] == 4 and report["one_mesh"] is None
    assert report["n_users"] % 4 != 0 and report["None"]["rows"] == 304 and report["121"]["rows"] == 124


@pytest.mark.parametrize("batch", ["None", "121"])
def test_four_devices_take_the_updates_of_one(report: dict, batch: str) -> None:
    measured = report[batch]
    assert not measured["recompiled_after_a_new_lambda"]  # the replicated state keeps the compiled update
    assert measured["loss"] < 1e-5 and measured["gradient"] < 1e-5
    assert measured["steps"] == 3 and measured["loss_after_steps"] < 1e-5 and measured["logits_after_steps"] < 1e-5
    assert measured["logits_replicated"] and measured["logits_devices"] == 4  # the state: a full copy on each device


def test_padded_rows_do_not_count_in_the_mean() -> None:
    """In this process (one device): the loss on rows padded with zero rows, told the real count,
    is the loss on the real rows; counting the padding too moves it by far more than 1e-5."""
    rng = np.random.default_rng(0)
    targets = (rng.random((30, 12)) < 0.3).astype(np.float32)
    targets[np.arange(30), rng.integers(0, 12, 30)] = 1.0
    summary = jnp.asarray(rng.uniform(0.05, 0.95, (6, 12)), jnp.float32)
    padded = jnp.asarray(np.vstack([targets, np.zeros((2, 12), np.float32)]))
    loss = partial(distillation_loss, summary, lam=jnp.asarray(1.0), mean_user_size=float(targets.sum()) / 30,
                   cardinality_weight=1e-3, config=NTKConfig())
    real = float(loss(jnp.asarray(targets)))
    assert abs(float(loss(padded, target_count=30)) - real) <= 1e-6 * abs(real)
    assert abs(float(loss(padded)) - real) > 1e-3 * abs(real)  # what the comparisons above would have seen
