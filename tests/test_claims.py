"""The claims of the classic experiments as rules (``analysis.claims``), on hand-made series
whose verdicts are known."""

import numpy as np
import pytest

from infoplane_tf.analysis.claims import CLAIMS, judge, last_hidden, run_evidence

LAYERS = ("H1", "H2", "H3", "softmax")
ITERATIONS = np.arange(100, dtype=float)


def series(compress: bool, fit: float = 0.5, saturate: bool = False, accuracy: float = 0.9,
           activation: str = "tanh"):  # fmt: skip
    """Evidence of a run whose last hidden layers rise to 3 bits at iteration 30, then fall
    to 1.5 bits (``compress``) or stay; I(T;Y) rises by ``fit``; the saturated share of H3
    goes from 0.1 to 0.6 at iteration 50, well after the peak (``saturate``)."""
    rise = np.minimum(ITERATIONS / 30, 1.0) * 3.0
    fall = np.where(ITERATIONS > 30, (ITERATIONS - 30) / 70 * 1.5, 0.0) if compress else 0.0
    i_xt = np.stack([np.full(100, 5.0), rise - fall, rise - fall, np.full(100, 1.0)], axis=1)
    i_ty = np.stack([np.linspace(0, fit, 100)] * 4, axis=1)
    saturated = np.full((100, 4), np.nan if activation == "relu" else 0.1)
    if saturate:
        saturated[50:, 2] = 0.6
    return run_evidence(activation, LAYERS, ITERATIONS, i_xt, i_ty, saturated, accuracy, 2)


def test_the_last_hidden_layers_leave_out_the_softmax():
    assert last_hidden(LAYERS) == ["H2", "H3"]
    assert last_hidden(("H1", "softmax")) == ["H1"]


def test_one_run_gives_its_fall_rise_and_saturation():
    run = series(compress=True, saturate=True)
    assert run.compresses and run.compresses_anywhere and run.saturates
    assert run.drop_bits == pytest.approx(1.5, abs=0.1)
    assert run.saturation_rise == pytest.approx(0.5)
    assert run.fit_bits == pytest.approx(0.5, abs=0.02)
    flat = series(compress=False)
    assert not flat.compresses and flat.drop_bits < 0.1


def test_saxes_picture_holds_and_tishbys_does_not():
    tanh = [series(compress=True, saturate=True, accuracy=0.90) for _ in range(5)]
    relu = [series(compress=False, activation="relu", accuracy=0.91) for _ in range(5)]
    runs = tanh + relu
    verdicts = {claim: judge(claim, runs) for claim in CLAIMS}
    assert verdicts["fitting"].holds
    assert verdicts["compression"].holds  # most tanh runs compress
    assert verdicts["saturation"].holds
    assert verdicts["generalisation"].holds  # ReLU never compresses and generalises best
    assert verdicts["compression"].details[0].startswith("tanh: 5/5")
    assert verdicts["saturation"].details[1] == "relu: 0/5 compress (no saturation)"


def test_each_claim_can_fail():
    compressing_relu = [series(True, activation="relu") for _ in range(3)]
    unsaturated_tanh = [series(True, saturate=False) for _ in range(3)]
    assert not judge("saturation", unsaturated_tanh + compressing_relu).holds
    assert not judge("fitting", [series(False, fit=0.01)]).holds
    assert not judge("compression", [series(False) for _ in range(3)]).holds
    # A run that never compresses but guesses does not show generalisation without compression.
    assert not judge("generalisation", [series(False, accuracy=0.6), series(True)]).holds
    assert judge("saturation", unsaturated_tanh).holds is None  # no ReLU to compare with


def test_judge_refuses_an_unknown_claim_or_no_runs():
    with pytest.raises(ValueError, match="claim must be one of"):
        judge("simplicity", [series(True)])
    with pytest.raises(ValueError, match="at least one run"):
        judge("fitting", [])
