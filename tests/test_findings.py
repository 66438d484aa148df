"""The table of finding rules: each rule at its threshold, missing experiments, the rule text."""

import dataclasses
import subprocess
import sys

import pytest

from infoplane_tf.analysis import findings
from infoplane_tf.analysis.findings import (
    FINDINGS,
    FIT_RISE_BITS,
    OVERFIT_RISE,
    SIMILAR_DECADES,
    Finding,
    Row,
    check_findings,
    describe_rules,
)
from infoplane_tf.analysis.phases import describe_rule
from infoplane_tf.catalog import EXPERIMENT_NAMES

BASE = Row(
    name="", seeds=1, initial_i_xz=1.0, peak_i_xz=5.0, peak_iteration=3000, final_i_xz=5.0,
    drop=0.0, simplifying=[False], i_zx_rise=3.0, train_error=0.01, test_error=0.01,
    final_test_loss=0.01, min_test_loss=0.01, wall_time_s=60.0, complete=True,
)  # fmt: skip


def make_row(name, simplifying=False, **changes):
    """A row whose I(X;Z) falls by ``drop`` when simplifying (and stays flat otherwise)."""
    drop = changes.pop("drop", 2.0 if simplifying else 0.0)
    return dataclasses.replace(
        BASE, name=name, simplifying=[simplifying], drop=drop, final_i_xz=5.0 - drop, **changes
    )


def reproduced_suite():
    """Rows on which every finding holds."""
    return {
        "shallow": make_row("shallow", True),
        "deep": make_row("deep", True),
        "deep-overfit": make_row("deep-overfit", final_test_loss=2.0, min_test_loss=1.0),
        "sparse": make_row("sparse", True, drop=3.0),
        "tied": make_row("tied"),
        "vae": make_row("vae", test_error=1.0),  # not compared: its objective differs
        "label": make_row("label"),
    }


def verdict(rows, number):
    """(status, evidence) of finding ``number`` (1-based, as the report numbers them)."""
    text, status, evidence = check_findings(rows)[number - 1]
    assert text.startswith(f"{number}. ")
    return status, evidence


def test_table_and_numbering():
    results = check_findings(reproduced_suite())
    assert len(results) == len(FINDINGS) == 6
    assert [status for _, status, _ in results] == ["reproduced"] * 6
    for number, ((text, _, _), finding) in enumerate(zip(results, FINDINGS, strict=True), 1):
        assert text == f"{number}. {finding.text}"
        assert isinstance(finding, Finding) and set(finding.needs) <= set(EXPERIMENT_NAMES)
    assert len({finding.text for finding in FINDINGS}) == len(FINDINGS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        FINDINGS[0].needs = ()


# Each case: finding number, rows on the reproduced side of the threshold, rows just across it.
THRESHOLDS = {
    "fit rise": (
        1,
        {"tied": make_row("tied", i_zx_rise=FIT_RISE_BITS)},
        {"tied": make_row("tied", i_zx_rise=FIT_RISE_BITS - 0.01)},
    ),
    "fit peak below start": (
        1,
        {"vae": make_row("vae", initial_i_xz=5.0, peak_i_xz=5.0)},
        {"vae": make_row("vae", initial_i_xz=5.0, peak_i_xz=4.99)},
    ),
    "vanilla shallow": (2, {}, {"shallow": make_row("shallow", False)}),
    "vanilla deep": (2, {}, {"deep": make_row("deep", False)}),
    "sparse drop larger": (
        3,
        {"sparse": make_row("sparse", True, drop=2.01)},
        {"sparse": make_row("sparse", True, drop=2.0)},  # equal to shallow's: not larger
    ),
    "sparse simplifying": (3, {}, {"sparse": make_row("sparse", False, drop=3.0)}),
    "no simplifying": (4, {}, {"label": make_row("label", True)}),
    "overfit rise": (
        5,
        {
            "deep-overfit": make_row(
                "deep-overfit", final_test_loss=1 + OVERFIT_RISE, min_test_loss=1
            )
        },
        {"deep-overfit": make_row("deep-overfit", final_test_loss=1.049, min_test_loss=1)},
    ),
    "overfit simplifying": (
        5,
        {},
        {"deep-overfit": make_row("deep-overfit", True, final_test_loss=2.0, min_test_loss=1)},
    ),
    "similar errors": (
        6,
        {"tied": make_row("tied", test_error=0.01 * 10 ** (SIMILAR_DECADES - 0.01))},
        {"tied": make_row("tied", test_error=0.01 * 10 ** (SIMILAR_DECADES + 0.01))},
    ),
}


@pytest.mark.parametrize("number, holds, fails", THRESHOLDS.values(), ids=THRESHOLDS)
def test_each_rule_flips_at_its_threshold(number, holds, fails):
    rows = reproduced_suite()
    statuses = [status for _, status, _ in check_findings({**rows, **holds})]
    assert statuses == ["reproduced"] * 6
    statuses = [status for _, status, _ in check_findings({**rows, **fails})]
    assert statuses[number - 1] == "not reproduced"
    assert statuses.count("not reproduced") == 1


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.text[:24] for f in FINDINGS])
def test_missing_experiments_leave_a_finding_untested(finding):
    number = FINDINGS.index(finding) + 1
    required = len(finding.needs) if finding.at_least is None else finding.at_least
    rows = reproduced_suite()
    # Keep one fewer of the needed experiments than the rule requires.
    for name in finding.needs[required - 1 :]:
        rows.pop(name)
    status, evidence = verdict(rows, number)
    assert status == "not tested"
    missing = [name for name in finding.needs if name not in rows]
    assert all(name in evidence for name in missing)
    # With one more needed experiment back, the rule decides again.
    name = finding.needs[required - 1]
    rows[name] = reproduced_suite()[name]
    assert verdict(rows, number)[0] == "reproduced"


def test_nothing_to_test_without_rows():
    assert [status for _, status, _ in check_findings({})] == ["not tested"] * 6
    assert verdict({}, 2)[1] == "shallow and deep missing"
    assert verdict({"shallow": make_row("shallow")}, 2)[1] == "deep missing"
    assert verdict({}, 4)[1] == "none of tied, vae, label present"
    assert verdict({"tied": make_row("tied")}, 6)[1] == (
        "only 1 of shallow, deep, sparse, tied, label present (needs 2)"
    )


def test_partly_tested_findings_say_so():
    rows = {"tied": make_row("tied"), "label": make_row("label")}
    text, status, evidence = check_findings(rows)[3]
    assert text.endswith("show no simplifying phase. (partly tested)")
    assert status == "reproduced"
    assert evidence == "tied: drop 0.00 bits, simplifying no, label: drop 0.00 bits, simplifying no"
    full = check_findings(reproduced_suite())[3][0]
    assert not full.endswith("(partly tested)")
    # Findings that compare the experiments present (1, 6) keep their text.
    assert check_findings(rows)[5][0] == check_findings(reproduced_suite())[5][0]


def test_evidence_states_the_numbers():
    rows = reproduced_suite()
    rows["deep-overfit"] = make_row("deep-overfit", final_test_loss=1.05, min_test_loss=1.0)
    assert verdict(rows, 5) == (
        "reproduced",
        "simplifying no (drop 0.00 bits); test loss final 1.05 vs minimum 1 (+5%)",
    )
    assert verdict(rows, 3)[1] == "drop sparse 3.00 vs shallow 2.00 bits; sparse simplifying yes"
    assert verdict(rows, 1)[1].startswith("shallow: I(Z;X') +3.00, I(X;Z) 1.00→5.00; deep: ")
    assert verdict(rows, 6)[1].endswith("label: train 0.0100 / test 0.0100 (spread 0.00 decades)")


def test_seed_majority_and_votes():
    rows = reproduced_suite()
    rows["shallow"] = make_row("shallow", True, seeds=3)
    rows["shallow"].simplifying = [True, False, True]
    status, evidence = verdict(rows, 2)
    assert status == "reproduced" and "simplifying yes (2/3 seeds)" in evidence
    rows["shallow"].simplifying = [True, False, False]
    status, evidence = verdict(rows, 2)
    assert status == "not reproduced" and "simplifying no (1/3 seeds)" in evidence


def test_rules_text_has_one_source(monkeypatch):
    text = describe_rules()
    assert describe_rule() in text
    assert f"rising ≥ {FIT_RISE_BITS:g} bit" in text
    assert f"≥ {OVERFIT_RISE:.0%} above its minimum" in text
    assert f"within {SIMILAR_DECADES:g} decades" in text
    # The stated threshold is the one the rule applies.
    rows = {"tied": make_row("tied", i_zx_rise=0.8)}
    assert verdict(rows, 1)[0] == "reproduced"
    monkeypatch.setattr(findings, "FIT_RISE_BITS", 1.0)
    assert "rising ≥ 1 bit" in describe_rules()
    assert verdict(rows, 1)[0] == "not reproduced"


def test_module_stays_light():
    code = (
        "import sys; import infoplane_tf.analysis.findings;"
        "heavy = [m for m in ('matplotlib', 'tensorflow', 'keras') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_code_pinned_at_its_ceiling_passes_the_fitting_rule_within_the_estimator_noise():
    from infoplane_tf.analysis.findings import ESTIMATOR_NOISE_BITS, Row, check_findings

    def row(name, start, peak):
        return Row(
            name=name, seeds=1, initial_i_xz=start, peak_i_xz=peak, peak_iteration=10,
            final_i_xz=peak, drop=0.0, simplifying=[False], i_zx_rise=6.4, train_error=0.01,
            test_error=0.01, final_test_loss=0.01, min_test_loss=0.01, wall_time_s=1.0,
            complete=True,
        )  # fmt: skip

    # The saved MNIST VAE: I(X;Z) = S(X) throughout, its smoothed peak 7.8e-6 bit below start.
    pinned = {"vae": row("vae", 6.6343565, 6.6343487)}
    assert check_findings(pinned)[0][1] == "reproduced"
    falling = {"vae": row("vae", 6.6343565, 6.6343565 - 2 * ESTIMATOR_NOISE_BITS)}
    assert check_findings(falling)[0][1] == "not reproduced"
