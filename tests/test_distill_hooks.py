"""Distill-CF's progress and stop hooks (``distill(on_validation=, should_stop=)``) and their way through
the sampler registry: a run its hooks do not stop is bit for bit a run without them; a stop raises
DistillStopped (a ComputationStopped) after a validation or between two updates."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import generated_dataset
from test_distill import SMALL  # the same settings: the compiled update is shared in one session
from workbench.distill import DistillProgress, DistillStopped, distill
from workbench.errors import ComputationStopped, WorkbenchError
from workbench.samplers import get_sampler



@pytest.fixture(scope="module")
def dataset():
    return generated_dataset(150, 60, 0.12, seed=11)


def counting_stop(stop_at_call: int | None):
    """A should_stop that answers True from its ``stop_at_call``-th call on (never if None); ``.calls`` counts."""

    def should_stop() -> bool:
        should_stop.calls += 1
        return stop_at_call is not None and should_stop.calls >= stop_at_call

    should_stop.calls = 0
    return should_stop


def test_hooks_that_do_not_stop_leave_the_run_bit_for_bit_as_without(dataset) -> None:
    plain = distill(dataset, SMALL, seed=3, progress=False)
    reports: list[DistillProgress] = []
    should_stop = counting_stop(None)
    hooked = distill(dataset, SMALL, seed=3, progress=False, on_validation=reports.append, should_stop=should_stop)

    assert np.array_equal(hooked.summary, plain.summary) and np.array_equal(hooked.logits, plain.logits)
    assert np.array_equal(hooked.binary, plain.binary)
    assert (hooked.lam, hooked.best_step, hooked.best_validation_hr100, hooked.stopped) == (
        plain.lam, plain.best_step, plain.best_validation_hr100, plain.stopped
    )
    assert hooked.history.step == plain.history.step == (0, 4, 8, 12)
    np.testing.assert_array_equal(hooked.history.loss, plain.history.loss)  # NaN at step 0 in both
    assert hooked.history.validation_hr10 == plain.history.validation_hr10
    assert hooked.history.validation_hr100 == plain.history.validation_hr100
    assert hooked.history.lam == plain.history.lam
    # asked after each validation that is followed by updates (steps 0, 4, 8) and after each of the 12 updates
    assert should_stop.calls == 3 + 12

    # one report per validation, each the history's entry
    history = hooked.history
    assert [report.step for report in reports] == list(history.step)
    for at, report in enumerate(reports):
        assert report.steps == SMALL.steps
        assert report.validation_hr10 == history.validation_hr10[at] and report.validation_hr100 == history.validation_hr100[at]
        assert report.lam == history.lam[at] and report.seconds == history.seconds[at]
        np.testing.assert_array_equal(report.loss, history.loss[at])
        best = int(np.argmax(history.validation_hr100[: at + 1]))  # the first best so far
        assert (report.best_step, report.best_validation_hr100) == (history.step[best], history.validation_hr100[best])
    assert reports[-1].best_step == hooked.best_step


def test_a_stop_after_the_first_validation(dataset) -> None:
    reports: list[DistillProgress] = []
    with pytest.raises(DistillStopped, match="stopped on request at step 0 of 12") as stopped:
        distill(dataset, SMALL, seed=3, progress=False, on_validation=reports.append, should_stop=lambda: len(reports) >= 1)
    assert isinstance(stopped.value, ComputationStopped) and isinstance(stopped.value, WorkbenchError)
    assert (stopped.value.step, stopped.value.steps) == (0, 12)
    assert stopped.value.history.step == (0,) and [report.step for report in reports] == [0]


def test_a_stop_between_two_updates(dataset) -> None:
    reports: list[DistillProgress] = []
    should_stop = counting_stop(3)  # after validation 0: no; after update 1: no; after update 2: stop
    with pytest.raises(DistillStopped, match="at step 2 of 12") as stopped:
        distill(dataset, SMALL, seed=3, progress=False, on_validation=reports.append, should_stop=should_stop)
    assert stopped.value.step == 2 and stopped.value.history.step == (0,)
    assert [report.step for report in reports] == [0] and should_stop.calls == 3


def test_the_progress_line() -> None:
    report = DistillProgress(step=25, steps=100, loss=0.123456, validation_hr10=12.345, validation_hr100=45.678, lam=1.0,
                             best_step=25, best_validation_hr100=45.678, seconds=12.4)
    assert report.describe() == "step 25/100, loss 0.1235, val HR@10 12.35, HR@100 45.68, λ 1 (12 s)"
    first = DistillProgress(step=0, steps=100, loss=float("nan"), validation_hr10=1.0, validation_hr100=2.0, lam=1e-5,
                            best_step=0, best_validation_hr100=2.0, seconds=0.2)
    assert first.describe() == "step 0/100, loss –, val HR@10 1.00, HR@100 2.00, λ 1e-05 (0 s)"


def test_the_tqdm_bar_shows_steps_loss_and_validation_hr10(dataset, capsys: pytest.CaptureFixture[str]) -> None:
    distill(dataset, SMALL, seed=3, progress=True)
    bar = capsys.readouterr().err
    assert "12/12" in bar and "loss=" in bar and "val HR@10=" in bar and "λ=" in bar


def test_the_registry_passes_the_hooks_to_distill_cf(dataset) -> None:
    spec = get_sampler("distill-cf")
    reports: list[DistillProgress] = []
    with pytest.raises(DistillStopped):
        spec(dataset, 12, 3, config=SMALL, on_progress=reports.append, should_stop=lambda: len(reports) >= 2)
    assert [report.step for report in reports] == [0, 4] and reports[0].steps == 12


def test_real_user_samplers_ignore_the_hooks(dataset) -> None:
    reports: list[object] = []
    spec = get_sampler("user-rns")
    hooked = spec(dataset, "10%", 3, on_progress=reports.append, should_stop=lambda: True)
    plain = spec(dataset, "10%", 3)
    assert reports == [] and (hooked.matrix != plain.matrix).nnz == 0
