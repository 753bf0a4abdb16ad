"""∞-AE's plan: stages, routes, refusals that name what fits, and predicted against measured peak memory."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPOSITORY
from workbench.cli import main
from workbench.errors import MemoryBudgetError
from workbench.models import InfiniteAE
from workbench.models.infinite_ae_plan import Rates, choose_route, format_plan, plan_fit


def test_routes_follow_the_cheaper_way_to_score() -> None:
    assert choose_route(6040, 3706, 791_718) == "dual"  # ML-1M
    assert choose_route(29_858, 40_981, 737_091) == "inverse"  # Gowalla
    assert plan_fit(InfiniteAE(), 29_858, 40_981, 737_091).route == "inverse"
    assert plan_fit(InfiniteAE(), 29_858, 40_981, 737_091, algebra="jax").route == "dual"


def test_a_subset_plan_holds_the_grid_and_the_refit() -> None:
    plan = plan_fit(InfiniteAE(), 29_858, 40_981, 737_091, with_selection=True)
    assert plan.subset is not None and plan.subset.n_support == 8_000
    labels = [label for label, _ in plan.all_stages()]
    assert labels[0].startswith("choose λ on 8,000 users") and "test" in labels[-1]
    assert not any("test" in label for label in labels[:3])
    # the refit is one λ on all users: the whole grid on all users would cost five factorisations
    exact = plan_fit(InfiniteAE(selection_users=None), 29_858, 40_981, 737_091, with_selection=True)
    rates = Rates(dense=1e11, sparse=2e9, elementwise=5e9)
    assert plan.seconds(rates) < 0.6 * exact.seconds(rates)
    assert plan.peak_bytes < exact.peak_bytes  # one n x n buffer instead of three


def test_nystrom_memory_does_not_grow_with_users_times_landmarks() -> None:
    model = InfiniteAE(user_support=2000, support_method="nystrom")
    small = plan_fit(model, 48_019, 17_770, 10_000_000)
    large = plan_fit(model, 480_189, 17_770, 100_000_000)
    # ten times the users: only the dataset's own matrices grow, not an n x m array (which would be 3.6 GiB)
    assert large.peak_bytes - small.peak_bytes < 6 * 90_000_000 * 8


def test_a_refusal_names_the_alternatives_that_fit() -> None:
    import numpy as np
    import scipy.sparse as sp

    n_users = 300_000
    train = sp.csr_matrix((np.ones(n_users, np.float32), (np.arange(n_users), np.arange(n_users) % 5_000)), shape=(n_users, 5_000))
    with pytest.raises(MemoryBudgetError) as error:
        next(InfiniteAE(lambdas=(5.0,)).fit_grid(train))
    message = str(error.value)
    assert "--support-method nystrom" in message and "workbench plan" in message and "GPU with at least" in message


def test_format_plan_shows_every_stage_here_and_on_a_gpu() -> None:
    text = format_plan(
        InfiniteAE(), "gowalla", 29_858, 40_981, 737_091, rates=Rates(1e11, 2e9, 5e9),
        available=20 * 2**30, device_memory=80 * 2**30, device_tflops=20,
    )
    assert "inverse route" in text and "choose λ on 8,000 users" in text and "here: fits" in text
    assert "GPU with 80.0 GiB" in text
    refused = format_plan(
        InfiniteAE(), "netflix", 480_189, 17_770, 100_000_000, rates=Rates(1e11, 2e9, 5e9),
        available=20 * 2**30, device_memory=80 * 2**30, device_tflops=20,
    )
    assert "does NOT fit" in refused and "Nyström with" in refused


def test_cli_plan_from_a_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--shape", "480189x17770x100480507", "--user-support", "2000", "--support-method", "nystrom", "--device-memory", "40GB"]) == 0
    out = capsys.readouterr().out
    assert "Nyström ∞-AE with 2,000 landmarks" in out and "GPU with 37.3 GiB" in out


def test_cli_plan_refuses_a_bad_shape() -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--shape", "12x3"])
    with pytest.raises(SystemExit):
        main(["plan", "--shape", "1x1x1", "--device-memory", "lots"])


def test_cli_nystrom_needs_a_support_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--shape", "100x100x1000", "--support-method", "nystrom"]) == 2
    assert "--user-support" in capsys.readouterr().err


MEASURE = """
import json, sys
import numpy as np
from workbench.data import build_dataset
from workbench.data.interactions import Interactions
from workbench.evaluation import evaluate_model
from workbench.models import InfiniteAE
from workbench.models.infinite_ae_plan import plan_fit
n_users, n_items, per_user, route = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
users = np.repeat(np.arange(n_users), per_user)
items = (rng.zipf(1.3, size=users.size) + rng.integers(0, n_items, size=users.size)) % n_items
dataset = build_dataset("generated", Interactions(users=users, items=items, source="generated"), seed=0)
model = InfiniteAE(lambdas=(5.0, 50.0), route=route)
plan = plan_fit(model, dataset.n_users, dataset.n_items, int(dataset.train.nnz), with_selection=True)
evaluate_model(model, dataset, seed=0, progress=False)
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child of a large pytest process would report
# its parent's size; the high-water mark of this process's own memory starts afresh at exec
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"predicted": plan.peak_bytes, "measured": peak}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(("n_users", "n_items", "per_user", "route"), [(7_000, 12_000, 30, "inverse"), (9_000, 4_000, 40, "dual")])
def test_predicted_peak_memory_is_within_a_quarter_of_the_measured(n_users: int, n_items: int, per_user: int, route: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE, str(n_users), str(n_items), str(per_user), route],
        capture_output=True, text=True, check=True, cwd=REPOSITORY,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["measured"] > 1.2 * 2**30  # the model, not the interpreter (0.35 GiB), dominates
    assert result["predicted"] == pytest.approx(result["measured"], rel=0.25), result


def test_reproduce_skips_a_model_that_does_not_fit_and_reports_the_others(tmp_path, capsys, monkeypatch) -> None:
    import workbench.models.ease as ease_module
    path = tmp_path / "interactions.csv"
    import numpy as np

    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(60), 12)
    items = rng.integers(0, 40, size=users.size)
    path.write_text("user,item\n" + "\n".join(f"{u},{i}" for u, i in zip(users, items)) + "\n")

    def refuse(what, n_bytes, **_):
        raise MemoryBudgetError(f"{what} needs about 47 GiB but only 22 GiB is available")

    monkeypatch.setattr(ease_module, "require_memory", refuse)
    output = tmp_path / "r.json"
    assert main(["reproduce", "--data-file", str(path), "--models", "poprec,ease", "--no-progress", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert "ease: skipped, it does not fit: EASE on" in out
    table = out.split("NDCG@10")[-1]  # the summary table comes last, with poprec's row
    assert "poprec" in table and "ease: skipped (does not fit in memory; see above)" in table
    written = json.loads(output.read_text())
    assert written[0]["model"] == "poprec" and "47 GiB" in written[1]["skipped"]
