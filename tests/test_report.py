"""The reproduction report's finding rules, on synthetic numbers."""

import pytest

from infoplane_tf.report import Row, check_findings


def row(name, *, peak=5.0, final=5.0, simplifying=False, start=1.0, rise=3.0, test=0.01,
        train=0.01, final_test=0.01, min_test=0.01, seeds=1):  # fmt: skip
    return Row(
        name=name, seeds=seeds, initial_i_xz=start, peak_i_xz=peak, peak_iteration=3000,
        final_i_xz=final, drop=peak - final, simplifying=[simplifying] * seeds, i_zx_rise=rise,
        train_error=train, test_error=test, final_test_loss=final_test, min_test_loss=min_test,
        wall_time_s=60.0, complete=True,
    )  # fmt: skip


def paper_like():
    return {
        "shallow": row("shallow", peak=5.2, final=3.6, simplifying=True),
        "deep": row("deep", peak=4.4, final=2.8, simplifying=True),
        "deep-overfit": row("deep-overfit", peak=5.2, final=5.2, final_test=0.02, min_test=0.01),
        "sparse": row("sparse", peak=4.8, final=0.8, simplifying=True),
        "tied": row("tied", peak=6.35, final=6.35, test=0.016),
        "vae": row("vae", start=6.64, peak=6.64, final=6.64, test=0.03),
        "label": row("label", peak=1.3, final=1.2, test=0.02),
    }


def statuses(rows):
    return [status for _, status, _ in check_findings(rows)]


def test_the_papers_numbers_reproduce_every_finding():
    assert statuses(paper_like()) == ["reproduced"] * 6


@pytest.mark.parametrize(
    "change, finding",
    [
        ({"shallow": row("shallow", peak=5, final=5)}, 1),
        ({"sparse": row("sparse", peak=4.8, final=4.0, simplifying=True)}, 2),
        ({"tied": row("tied", peak=6, final=4, simplifying=True)}, 3),
        ({"deep-overfit": row("deep-overfit", final_test=0.0101, min_test=0.01)}, 4),
        ({"label": row("label", test=0.5)}, 5),
        ({"vae": row("vae", rise=0.1)}, 0),
    ],
)
def test_each_rule_can_fail(change, finding):
    rows = {**paper_like(), **change}
    result = statuses(rows)
    assert result[finding] == "not reproduced"
    assert result.count("not reproduced") == 1


def test_missing_experiments_are_not_tested():
    rows = {"tied": row("tied")}
    result = statuses(rows)
    assert result[1] == result[2] == result[4] == result[5] == "not tested"
    assert result[3] == "reproduced"


def test_seed_majority_decides():
    rows = paper_like()
    rows["shallow"] = row("shallow", peak=5.2, final=3.6, seeds=3)
    rows["shallow"].simplifying = [True, False, True]
    assert statuses(rows)[1] == "reproduced"
    rows["shallow"].simplifying = [True, False, False]
    assert statuses(rows)[1] == "not reproduced"
