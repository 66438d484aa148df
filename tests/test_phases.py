"""Phase analysis on synthetic I(X;T) series with known fitting and simplifying phases."""

import json
import math

import numpy as np
import pytest

from infoplane_tf.analysis.phases import (
    MIN_DROP_BITS,
    PhaseAnalysis,
    analyze_phases,
    analyze_trajectory,
    moving_average,
)
from infoplane_tf.io.trajectory import Trajectory

ITERATIONS = np.arange(0, 30_000, 10)  # 3,000 points, as in a 50-epoch run measured every 10


def rise_then_fall(iterations, peak_at=5_000, peak=5.2, final=3.6, noise=0.03, seed=0):
    """A shallow-AE-like I(X;T): saturating rise to ``peak`` by ``peak_at``, then a linear slide
    to ``final`` at the end, plus estimator-like Gaussian noise (bits)."""
    t = np.asarray(iterations, float)
    rise = peak * (1 - np.exp(-5 * t / peak_at)) / (1 - np.exp(-5))
    fall = peak + (final - peak) * (t - peak_at) / (t[-1] - peak_at)
    clean = np.where(t <= peak_at, rise, fall)
    return clean + np.random.default_rng(seed).normal(0, noise, t.shape)


def test_rise_then_fall_has_simplifying_phase():
    result = analyze_phases(ITERATIONS, rise_then_fall(ITERATIONS))
    assert result.has_simplifying_phase
    assert abs(result.peak_iteration - 5_000) <= 300  # 1% of training
    assert result.peak_bits == pytest.approx(5.2, abs=0.05)
    assert result.final_bits == pytest.approx(3.6 + 0.05 * 1.6 / 2, abs=0.05)  # tail mean
    assert result.drop_bits == pytest.approx(result.peak_bits - result.final_bits)
    assert result.drop_bits == pytest.approx(1.56, abs=0.08)
    assert result.drop_fraction == pytest.approx(1.56 / 5.2, abs=0.02)
    assert result.n_points == len(ITERATIONS)
    assert result.window % 2 == 1 and result.window == 61  # 2% of 3,000 points, made odd


def test_rise_only_has_no_simplifying_phase():
    t = ITERATIONS.astype(float)
    i_xt = 6.35 * (1 - np.exp(-t / 8_000)) + np.random.default_rng(1).normal(0, 0.03, t.shape)
    result = analyze_phases(ITERATIONS, i_xt)
    assert not result.has_simplifying_phase
    assert result.peak_iteration > 0.9 * ITERATIONS[-1]  # the peak is at the end
    assert abs(result.drop_bits) < 0.05


def test_noisy_plateau_has_no_simplifying_phase():
    # The label AE's bottleneck: wanders between about 1.0 and 1.3 bits with no sustained fall.
    rng = np.random.default_rng(2)
    t = ITERATIONS.astype(float)
    i_xt = 1.15 + 0.15 * np.sin(t / 3_000) + rng.normal(0, 0.05, t.shape)
    result = analyze_phases(ITERATIONS, i_xt)
    assert result.peak_iteration < 0.9 * ITERATIONS[-1]  # not excluded by peak position ...
    assert 0 < result.drop_bits < MIN_DROP_BITS  # ... but by the size of the fall
    assert not result.has_simplifying_phase


def test_dip_that_recovers_is_not_a_simplifying_phase():
    t = ITERATIONS.astype(float)
    i_xt = 5.0 - 2.0 * np.exp(-(((t - 15_000) / 3_000) ** 2))  # falls by 2 bits, comes back
    assert not analyze_phases(ITERATIONS, i_xt).has_simplifying_phase


def test_thresholds_decide():
    i_xt = rise_then_fall(ITERATIONS, peak=5.0, final=4.4, noise=0.0)  # falls by 0.6 bit
    assert analyze_phases(ITERATIONS, i_xt).has_simplifying_phase
    assert not analyze_phases(ITERATIONS, i_xt, min_drop_bits=0.7).has_simplifying_phase
    assert not analyze_phases(ITERATIONS, i_xt, min_drop_fraction=0.2).has_simplifying_phase
    # A small layer falling from 0.45 to 0.05 bit: large relative, small absolute fall.
    low = rise_then_fall(ITERATIONS, peak=0.45, final=0.05, noise=0.0)
    assert not analyze_phases(ITERATIONS, low).has_simplifying_phase
    assert analyze_phases(ITERATIONS, low, min_drop_bits=0.25).has_simplifying_phase


def test_late_peak_is_excluded():
    i_xt = rise_then_fall(ITERATIONS, peak_at=28_000, peak=5.0, final=3.0, noise=0.0)
    result = analyze_phases(ITERATIONS, i_xt)
    assert result.drop_bits > 1.0
    assert not result.has_simplifying_phase
    assert analyze_phases(ITERATIONS, i_xt, max_peak_position=1.0).has_simplifying_phase


def test_short_series():
    yes = analyze_phases([0, 600, 1200], [1.0, 5.0, 2.0])
    assert (yes.peak_iteration, yes.peak_bits, yes.final_bits) == (600, 5.0, 2.0)
    assert yes.has_simplifying_phase and yes.window == 1
    no = analyze_phases([0, 600, 1200], [1.0, 2.0, 5.0])
    assert no.peak_iteration == 1200 and not no.has_simplifying_phase
    single = analyze_phases([0], [3.0])
    assert (single.peak_bits, single.drop_bits, single.has_simplifying_phase) == (3.0, 0, False)


def test_unsorted_input_is_sorted():
    i_xt = rise_then_fall(ITERATIONS, noise=0.0)
    order = np.random.default_rng(3).permutation(len(ITERATIONS))
    shuffled = analyze_phases(ITERATIONS[order], i_xt[order])
    assert shuffled == analyze_phases(ITERATIONS, i_xt)


def test_nan_gaps_are_ignored():
    i_xt = rise_then_fall(ITERATIONS)
    gappy = i_xt.copy()
    gappy[100:400] = np.nan  # a diverged stretch during the rise
    gappy[-10:] = np.nan  # and at the very end
    result = analyze_phases(ITERATIONS, gappy)
    assert result.n_points == len(ITERATIONS) - 310
    assert math.isfinite(result.peak_bits) and math.isfinite(result.final_bits)
    assert result.has_simplifying_phase
    assert abs(result.peak_iteration - 5_000) <= 300


def test_all_nan():
    result = analyze_phases(ITERATIONS, np.full(len(ITERATIONS), np.nan))
    assert result.peak_iteration is None and result.n_points == 0
    assert all(math.isnan(v) for v in (result.peak_bits, result.final_bits, result.drop_bits))
    assert not result.has_simplifying_phase
    assert result.to_dict()["peak_bits"] is None
    empty = analyze_phases([], [])
    assert empty.peak_iteration is None and not empty.has_simplifying_phase


def test_to_dict_is_json_ready():
    result = analyze_phases(ITERATIONS, rise_then_fall(ITERATIONS))
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["has_simplifying_phase"] is True
    assert isinstance(data["peak_iteration"], int) and isinstance(data["peak_bits"], float)
    assert "0.5 bit" in data["rule"] and "10%" in data["rule"] and "90%" in data["rule"]
    assert set(data) == set(PhaseAnalysis.__dataclass_fields__)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"smoothing": -0.1}, "smoothing"),
        ({"tail": 0.0}, "tail"),
        ({"min_drop_bits": -1.0}, "min_drop_bits"),
        ({"min_drop_fraction": 1.5}, "min_drop_fraction"),
        ({"max_peak_position": 0.0}, "max_peak_position"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        analyze_phases([0, 1, 2], [0.0, 1.0, 0.0], **kwargs)


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="equal length"):
        analyze_phases([0, 1, 2], [0.0, 1.0])


def test_moving_average_shrinks_at_the_ends():
    values = np.array([0.0, 3.0, 6.0, 9.0, 30.0])
    np.testing.assert_allclose(moving_average(values, 3), [1.5, 3.0, 6.0, 15.0, 19.5])
    np.testing.assert_allclose(moving_average(values, 1), values)


def test_analyze_trajectory():
    layers = ("E1", "Z", "D1")
    i_xt = np.stack(
        [
            np.full(len(ITERATIONS), 6.5),
            rise_then_fall(ITERATIONS, peak=4.4, final=2.8, seed=4),
            rise_then_fall(ITERATIONS, peak=5.8, final=4.1, seed=5),
        ],
        axis=1,
    )
    i_xt[7] = np.nan  # an invalid point
    trajectory = Trajectory(
        layers=layers,
        iterations=ITERATIONS,
        epochs=ITERATIONS / 600,
        loss=np.ones(len(ITERATIONS)),
        i_xt=i_xt,
        i_t_out=i_xt,
        h_t=i_xt,
        sigma=np.ones_like(i_xt),
    )
    results = analyze_trajectory(trajectory)
    assert list(results) == list(layers)
    assert [r.has_simplifying_phase for r in results.values()] == [False, True, True]
    assert results["Z"].peak_bits == pytest.approx(4.4, abs=0.05)
    assert results["D1"].n_points == len(ITERATIONS) - 1
    only = analyze_trajectory(trajectory, layers=["D1", "Z"], min_drop_bits=2.0)
    assert list(only) == ["D1", "Z"]
    assert not any(r.has_simplifying_phase for r in only.values())
    with pytest.raises(ValueError, match="available layers: E1, Z, D1"):
        analyze_trajectory(trajectory, layers=["E2"])
