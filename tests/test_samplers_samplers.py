"""The four samplers against their rules, on small generated data."""

from __future__ import annotations

from pathlib import Path

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.errors import WorkbenchError
from workbench.samplers import (
    SAMPLER_NAMES,
    SAMPLERS,
    Budget,
    ProxySettings,
    TrainingSample,
    count_forgetting_events,
    forgetting_transitions,
    get_sampler,
    mean_per_user,
    parse_budget,
    run_sampler,
    sample_head_user,
    sample_interaction_rns,
    sample_negatives,
    sample_svp_cf_user,
    sample_user_rns,
    sampler_options,
    svp_cf_user_scores,
    train_bpr_proxy,
)

# A small, fast proxy for the tests (the defaults are sized for real datasets).
FAST_SVP = {"epochs": 6, "dimension": 8, "batch_size": 256}


def fast_svp(train: sp.csr_matrix, budget: Budget, seed: int) -> TrainingSample:
    return sample_svp_cf_user(train, budget, seed, **FAST_SVP)


USER_SAMPLERS: dict[str, Callable[[sp.csr_matrix, Budget, int], TrainingSample]] = {
    "user-rns": sample_user_rns,
    "head-user": sample_head_user,
    "svp-cf-user": fast_svp,
}


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(150, 60, 0.12, seed=7)


def _rows_equal(sample: TrainingSample, train: sp.csr_matrix) -> None:
    expected = train[sample.row_users].toarray()
    np.testing.assert_array_equal(sample.matrix.toarray(), expected)


def _same(a: TrainingSample, b: TrainingSample) -> bool:
    return (
        np.array_equal(a.row_users, b.row_users)
        and a.matrix.shape == b.matrix.shape
        and (a.matrix != b.matrix).nnz == 0
    )


@pytest.mark.parametrize("name", list(USER_SAMPLERS))
@pytest.mark.parametrize("budget_text", ["30", "10%"])
def test_user_samplers_keep_whole_rows_of_n_users(train: sp.csr_matrix, name: str, budget_text: str) -> None:
    before = (train.data.copy(), train.indices.copy(), train.indptr.copy())
    budget = parse_budget(budget_text)
    sample = USER_SAMPLERS[name](train, budget, 3)
    n = budget.n_users(150)
    assert n in (30, 15)
    assert sample.n_rows == n and sample.n_items == 60
    assert sample.matrix.dtype == np.float32 and sample.row_users.dtype == np.int64
    assert np.all(np.diff(sample.row_users) > 0)  # ascending, distinct
    assert sample.row_users.min() >= 0 and sample.row_users.max() < 150
    _rows_equal(sample, train)
    assert sample.fraction_users == pytest.approx(n / 150)
    assert sample.fraction_interactions == pytest.approx(sample.nnz / train.nnz)
    assert sample.nnz == train[sample.row_users].nnz
    assert sample.sampler == name and sample.budget == budget.label and sample.seed == 3
    for original, now in zip(before, (train.data, train.indices, train.indptr), strict=True):
        np.testing.assert_array_equal(original, now)  # the caller's matrix is left alone


@pytest.mark.parametrize("name", list(USER_SAMPLERS))
def test_user_samplers_are_reproducible(train: sp.csr_matrix, name: str) -> None:
    budget = parse_budget("20%")
    assert _same(USER_SAMPLERS[name](train, budget, 11), USER_SAMPLERS[name](train, budget, 11))


def test_interaction_rns_keeps_a_random_share_of_the_interactions(train: sp.csr_matrix) -> None:
    sample = sample_interaction_rns(train, parse_budget("25%"), seed=1)
    expected = int(np.floor(0.25 * train.nnz + 0.5))
    assert sample.nnz == expected
    assert sample.fraction_interactions == pytest.approx(expected / train.nnz)
    assert np.all(np.diff(sample.row_users) > 0)
    assert np.all(np.diff(sample.matrix.indptr) > 0)  # users left without interactions are dropped
    assert sample.fraction_users == pytest.approx(sample.n_rows / 150)
    kept = sample.matrix.toarray()
    original = train[sample.row_users].toarray()
    assert np.all(kept <= original) and np.all(np.isin(kept, (0.0, 1.0)))  # a subset of each user's row
    assert sample.n_rows > 30  # a random share of the interactions touches many users, not 25% of them
    assert sample.parameters["interactions_kept"] == expected


def test_interaction_rns_turns_a_count_of_users_into_a_share(train: sp.csr_matrix) -> None:
    sample = sample_interaction_rns(train, parse_budget(30), seed=1)  # 30 of 150 users = 20%
    assert sample.nnz == int(np.floor(0.2 * train.nnz + 0.5))
    everything = sample_interaction_rns(train, parse_budget("100%"), seed=1)
    assert (everything.matrix != train).nnz == 0 and everything.fraction_users == 1.0


@pytest.mark.parametrize("sampler", [sample_interaction_rns, sample_user_rns])
def test_random_samplers_depend_on_the_seed(train: sp.csr_matrix, sampler: Callable[..., TrainingSample]) -> None:
    budget = parse_budget("20%")
    first, again, other = sampler(train, budget, 0), sampler(train, budget, 0), sampler(train, budget, 1)
    assert _same(first, again)
    assert not _same(first, other)


def test_head_user_picks_the_most_active_users(train: sp.csr_matrix) -> None:
    activity = np.diff(train.indptr)
    ranked = sorted(range(150), key=lambda user: (-activity[user], user))
    sample = sample_head_user(train, parse_budget(25), seed=0)
    np.testing.assert_array_equal(sample.row_users, sorted(ranked[:25]))
    assert _same(sample, sample_head_user(train, parse_budget(25), seed=5))  # the seed changes nothing


def test_head_user_breaks_ties_by_the_lower_index() -> None:
    dense = np.zeros((6, 5), dtype=np.float32)
    dense[0, :2] = dense[1, :3] = dense[2, :3] = dense[3, :1] = dense[4, :3] = dense[5, :4] = 1
    sample = sample_head_user(sp.csr_matrix(dense), parse_budget(3), seed=0)
    np.testing.assert_array_equal(sample.row_users, [1, 2, 5])


def test_users_without_interactions_are_never_chosen(train: sp.csr_matrix) -> None:
    holes = train.tolil()
    holes[[0, 1, 2], :] = 0
    holes = sp.csr_matrix(holes)
    for name, sampler in USER_SAMPLERS.items():
        sample = sampler(holes, parse_budget("100%") if name == "head-user" else parse_budget(147), 0)
        assert sample.n_rows == 147 and not np.isin([0, 1, 2], sample.row_users).any(), name
        with pytest.raises(WorkbenchError, match=r"budget: 148 users .* only 147 of the 150 users"):
            sampler(holes, parse_budget(148), 0)


@pytest.mark.parametrize("name", [name for name in SAMPLER_NAMES if SAMPLERS[name].matrix_sampler is not None])
def test_a_budget_above_the_dataset_is_refused(train: sp.csr_matrix, name: str) -> None:
    with pytest.raises(WorkbenchError, match="budget: 151 users is more than the 150 users"):
        run_sampler(name, train, 151, 0, **(FAST_SVP if name == "svp-cf-user" else {}))


def test_bad_arguments_are_refused(train: sp.csr_matrix) -> None:
    with pytest.raises(WorkbenchError, match="train: expected a scipy.sparse"):
        sample_user_rns(train.toarray(), parse_budget(3), 0)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="train: expected a non-empty"):
        sample_user_rns(sp.csr_matrix((3, 4), dtype=np.float32), parse_budget(1), 0)
    with pytest.raises(WorkbenchError, match="seed: expected an integer from 0 to"):
        sample_user_rns(train, parse_budget(3), -1)
    with pytest.raises(WorkbenchError, match="budget: expected a Budget"):
        sample_interaction_rns(train, "2%", 0)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="epochs: expected an integer >= 2"):
        sample_svp_cf_user(train, parse_budget(3), 0, epochs=1)
    with pytest.raises(WorkbenchError, match="learning_rate"):
        sample_svp_cf_user(train, parse_budget(3), 0, learning_rate=-0.1)


# --- SVP-CF -----------------------------------------------------------------------------------


def test_forgetting_events_on_a_hand_made_history() -> None:
    history = np.array(
        [  # epochs × interactions: 1 = right
            [1, 1, 0, 0, 1, 1],
            [0, 1, 0, 1, 0, 1],
            [1, 1, 0, 1, 0, 0],
            [0, 1, 0, 0, 0, 0],
            [1, 1, 0, 0, 1, 1],
        ],
        dtype=bool,
    )
    expected = [2, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(count_forgetting_events(history), expected)
    online = sum(forgetting_transitions(history[e], history[e + 1]).astype(int) for e in range(4))
    np.testing.assert_array_equal(online, expected)
    np.testing.assert_array_equal(count_forgetting_events(history[:1]), np.zeros(6))
    np.testing.assert_array_equal(forgetting_transitions([True, True, False, False], [True, False, True, False]),
                                  [False, True, False, False])


def test_mean_per_user() -> None:
    matrix = sp.csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]], dtype=np.float32))
    np.testing.assert_allclose(mean_per_user(np.array([2, 0, 1, 1, 4]), matrix), [1.0, np.nan, 2.0])


def test_negatives_are_uniform_over_the_absent_items() -> None:
    dense = np.zeros((3, 8), dtype=np.float32)
    dense[0, [0, 2, 3, 7]] = 1
    dense[1, :] = 1  # interacted with everything: no negative
    dense[2, [5]] = 1
    matrix = sp.csr_matrix(dense)
    users = np.repeat([0, 1, 2], 4000)
    negatives = sample_negatives(matrix, users, np.random.default_rng(0))
    assert np.all(negatives[users == 1] == -1)
    for user, absent in ((0, [1, 4, 5, 6]), (2, [0, 1, 2, 3, 4, 6, 7])):
        drawn = negatives[users == user]
        assert set(drawn.tolist()) == set(absent)
        shares = np.bincount(drawn, minlength=8)[absent] / drawn.size
        np.testing.assert_allclose(shares, 1 / len(absent), atol=0.03)


def test_svp_cf_keeps_the_users_with_the_most_forgetting(train: sp.csr_matrix) -> None:
    settings = ProxySettings(epochs=6, dimension=8, batch_size=256)
    scores, trace = svp_cf_user_scores(train, 4, settings)
    assert scores.shape == (150,) and np.all(scores >= 0) and np.all(scores <= 6 // 2)
    assert trace.forgetting_events.shape == (train.nnz,) and trace.forgetting_events.max() <= 3
    assert scores.max() > scores.min()  # the proxy forgets some interactions more than others
    sample = sample_svp_cf_user(train, parse_budget(20), 4, **FAST_SVP)
    ranked = sorted(range(150), key=lambda user: (-scores[user], user))
    np.testing.assert_array_equal(sample.row_users, sorted(ranked[:20]))
    assert sample.parameters["epochs"] == 6 and sample.parameters["dimension"] == 8
    assert len(sample.parameters["proxy_train_accuracy"]) == 6


def test_svp_cf_is_deterministic_for_a_seed(train: sp.csr_matrix) -> None:
    first, _ = svp_cf_user_scores(train, 9, ProxySettings(epochs=4, dimension=8, batch_size=128))
    again, _ = svp_cf_user_scores(train, 9, ProxySettings(epochs=4, dimension=8, batch_size=128))
    other, _ = svp_cf_user_scores(train, 10, ProxySettings(epochs=4, dimension=8, batch_size=128))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_proxy_learns() -> None:
    train = random_binary_matrix(300, 80, 0.1, seed=1)  # popularity skew: learnable by the item bias alone
    trace = train_bpr_proxy(train, ProxySettings(epochs=8, dimension=8, batch_size=256), seed=0)
    assert trace.accuracy[-1] > trace.accuracy[0] + 0.05
    assert trace.accuracy[-1] > 0.6


# --- registry -----------------------------------------------------------------------------------


def test_registry_names_and_lookup() -> None:
    assert SAMPLER_NAMES == ("distill-cf", "user-rns", "interaction-rns", "head-user", "svp-cf-user")
    assert get_sampler("user-rns").matrix_sampler is sample_user_rns and SAMPLERS["head-user"].matrix_sampler is sample_head_user
    with pytest.raises(WorkbenchError) as caught:
        get_sampler("random")
    for name in SAMPLER_NAMES:
        assert name in str(caught.value)
    assert "'random'" in str(caught.value)


def test_every_spec_has_a_label_a_distinct_colour_and_one_headline() -> None:
    specs = list(SAMPLERS.values())
    assert all(spec.label and spec.colour.startswith("#") for spec in specs)
    assert len({spec.colour for spec in specs}) == len(specs)
    assert [spec.name for spec in specs if spec.headline] == ["distill-cf"]
    distill = SAMPLERS["distill-cf"]
    assert distill.synthetic and distill.downstream_lambdas and min(distill.downstream_lambdas) < 1e-3
    assert all(spec.downstream_lambdas is None and not spec.synthetic for spec in specs if spec is not distill)


def test_a_spec_is_called_with_a_dataset_and_marks_the_sample_with_it(train: sp.csr_matrix) -> None:
    from workbench.data import Dataset
    from workbench.provenance import dataset_fingerprint

    empty = sp.csr_matrix(train.shape, dtype=np.float32)
    dataset = Dataset(name="toy", train=train, validation=empty, test=empty, user_ids=np.arange(train.shape[0]),
                      item_ids=np.arange(train.shape[1]), source="generated", split_origin="generated")
    sample = get_sampler("user-rns")(dataset, "10%", 0)
    assert sample.provenance == dataset_fingerprint(dataset)
    assert _same(sample, sample_user_rns(train, parse_budget("10%"), 0))
    with pytest.raises(WorkbenchError, match="user-rns: takes no settings object"):
        get_sampler("user-rns")(dataset, "10%", 0, config=object())
    with pytest.raises(WorkbenchError, match="distill-cf: config must be a DistillConfig"):
        get_sampler("distill-cf")(dataset, "10%", 0, config=object())
    with pytest.raises(WorkbenchError, match="distill-cf: needs a whole dataset"):
        run_sampler("distill-cf", train, "10%", 0)


def test_settings_are_the_config_without_its_budget() -> None:
    from workbench.distill import DistillConfig

    assert get_sampler("user-rns").settings((DistillConfig(),)) == ""
    text = get_sampler("distill-cf").settings((DistillConfig(steps=7),))
    assert '"steps": 7' in text and '"budget"' not in text
    assert get_sampler("distill-cf").settings(()) == get_sampler("distill-cf").settings((DistillConfig(),))


def test_no_module_outside_the_registry_names_a_sampler_in_a_string() -> None:
    package = Path(__file__).resolve().parents[1] / "workbench"
    naming = [str(path.relative_to(package)) for path in package.rglob("*.py") if '"distill-cf"' in path.read_text(encoding="utf-8")]
    assert naming == ["samplers/registry.py"]


def test_run_sampler_parses_the_budget_and_checks_options(train: sp.csr_matrix) -> None:
    sample = run_sampler("user-rns", train, "10%", 0)
    assert sample.n_rows == 15 and _same(sample, sample_user_rns(train, parse_budget("10%"), 0))
    assert set(sampler_options("svp-cf-user")) >= {"epochs", "dimension", "learning_rate"}
    assert sampler_options("head-user") == {}
    with pytest.raises(WorkbenchError, match="svp-cf-user: unknown option.*epoch.*valid options: epochs"):
        run_sampler("svp-cf-user", train, 5, 0, epoch=3)
    with pytest.raises(WorkbenchError, match="user-rns: unknown option.*valid options: none"):
        run_sampler("user-rns", train, 5, 0, epochs=3)
