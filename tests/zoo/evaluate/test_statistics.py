"""FID statistics as values, and the reference-statistics cache keyed by what produced them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dpzoo.evaluate import statistics
from dpzoo.evaluate.statistics import Statistics, StatisticsKey


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DPZOO_HOME", str(tmp_path))
    return tmp_path


def _key(**changes) -> StatisticsKey:
    fields = {"dataset": "mnist", "split": "test", "size": 100, "data": "0123456789ab", "extractor": "pool3-abc"}
    return StatisticsKey(**{**fields, **changes})


def test_statistics_are_the_mean_and_unbiased_covariance() -> None:
    features = np.random.default_rng(0).normal(size=(50, 4))
    stats = Statistics.of(features)
    np.testing.assert_allclose(stats.mu, features.sum(0) / 50)
    centred = features - features.mean(0)
    np.testing.assert_allclose(stats.sigma, centred.T @ centred / 49)
    assert stats.count == 50


def test_statistics_survive_a_round_trip_through_safetensors(tmp_path: Path) -> None:
    stats = Statistics.of(np.random.default_rng(1).normal(size=(30, 5)))
    stats.save(tmp_path / "s.safetensors", {"dataset": "x"})
    loaded = Statistics.load(tmp_path / "s.safetensors")
    np.testing.assert_array_equal(loaded.mu, stats.mu)
    np.testing.assert_array_equal(loaded.sigma, stats.sigma)
    assert loaded.count == 30


def test_cache_computes_once_then_reads_the_same_values(home: Path) -> None:
    calls = []

    def compute() -> Statistics:
        calls.append(1)
        return Statistics.of(np.random.default_rng(len(calls)).normal(size=(20, 3)))

    first, hit_first = statistics.cached(_key(), compute)
    second, hit_second = statistics.cached(_key(), compute)
    assert (hit_first, hit_second, len(calls)) == (False, True, 1)
    np.testing.assert_array_equal(first.sigma, second.sigma)
    assert (home / "fid-statistics" / _key().filename).is_file()
    assert [p.name for p in (home / "fid-statistics").iterdir()] == [_key().filename]  # no temporary files left


@pytest.mark.parametrize("change", [{"dataset": "svhn"}, {"split": "train"}, {"size": 99}, {"data": "ffffffffffff"}, {"extractor": "pool3-def"}])
def test_cache_entries_differ_by_every_part_of_the_key(home: Path, change: dict) -> None:
    calls = []
    compute = lambda: calls.append(1) or Statistics.of(np.eye(3))  # noqa: E731
    statistics.cached(_key(), compute)
    _, hit = statistics.cached(_key(**change), compute)
    assert not hit and len(calls) == 2


def test_a_damaged_cache_entry_is_recomputed(home: Path) -> None:
    path = home / "fid-statistics" / _key().filename
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not safetensors")
    stats, hit = statistics.cached(_key(), lambda: Statistics.of(np.eye(3)))
    assert not hit and Statistics.load(path).count == 3


def test_data_digest_changes_with_any_value_and_with_the_shape() -> None:
    x = np.zeros((4, 1, 2, 2), dtype=np.float32)
    y = x.copy()
    y[3, 0, 1, 1] = 1 / 255
    assert statistics.data_digest(x) == statistics.data_digest(x.copy())
    assert statistics.data_digest(x) != statistics.data_digest(y)
    assert statistics.data_digest(x) != statistics.data_digest(x.reshape(2, 2, 2, 2))
