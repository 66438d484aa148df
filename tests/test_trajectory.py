"""Trajectory files (``infoplane_tf.io.trajectory``) and their number cells (``io.cells``)."""

import gzip
import json
import math

import numpy as np
import pytest

from infoplane_tf.io.cells import format_number, parse_number
from infoplane_tf.io.trajectory import (
    LABEL_COLUMN,
    VALUE_COLUMNS,
    TrajectoryBuffer,
    TrajectoryFormatError,
    TrajectoryWriter,
    compress_table,
    load_trajectory,
)

LAYERS = ("E1", "Z")
KEYS = VALUE_COLUMNS + (LABEL_COLUMN,)


def values(seed):
    rng = np.random.default_rng(seed)
    return {key: rng.random(len(LAYERS)) for key in KEYS}


def write(path, points):
    writer = TrajectoryWriter(path, LAYERS, KEYS, {"estimator": {"n_probe": 100}})
    for iteration, point in enumerate(points):
        writer.append(iteration, iteration / 10, 0.5 - iteration / 100, point)
    writer.close()


def test_cells_round_trip_and_missing_values():
    assert format_number(math.nan) == "" and format_number(math.inf) == ""
    assert math.isnan(parse_number(""))
    assert parse_number(format_number(1 / 3)) == pytest.approx(1 / 3, rel=1e-8)
    assert format_number(123456789.0) == "1.2345679e+08"


def test_written_points_load_with_missing_points_as_nan(tmp_path):
    points = [values(0), None, values(2)]
    write(tmp_path / "t.csv", points)
    trajectory = load_trajectory(tmp_path / "t.csv")
    assert trajectory.layers == LAYERS and len(trajectory) == 3
    np.testing.assert_array_equal(trajectory.iterations, [0, 1, 2])
    assert trajectory.valid.tolist() == [True, False, True]
    assert np.isnan(trajectory.i_xt[1]).all()
    for k, point in ((0, points[0]), (2, points[2])):
        np.testing.assert_allclose(trajectory.i_t_out[k], point["i_t_out"], rtol=1e-7)
        np.testing.assert_allclose(trajectory.i_t_label[k], point["i_t_label"], rtol=1e-7)
    assert trajectory.settings["estimator"] == {"n_probe": 100}


def test_buffer_equals_the_file(tmp_path):
    buffer = TrajectoryBuffer(LAYERS, KEYS)
    points = [values(k) for k in range(70)]  # past the buffer's first growth
    for iteration, point in enumerate(points):
        buffer.append(iteration, iteration / 10, 0.5, point)
    write(tmp_path / "t.csv", points)
    from_memory, from_file = buffer.trajectory(), load_trajectory(tmp_path / "t.csv")
    for key in KEYS:
        np.testing.assert_allclose(getattr(from_memory, key), getattr(from_file, key), rtol=1e-7)
    np.testing.assert_array_equal(buffer.last("h_t"), points[-1]["h_t"])


def test_tables_written_before_the_rename_still_load(tmp_path):
    table = tmp_path / "trajectory.csv"
    table.write_text(
        "point,iteration,epoch,loss,layer,i_xt,i_ty,h_t,sigma,i_ty_label\n"
        "0,0,0,,E1,1.5,0.5,2,1,0.25\n0,0,0,,Z,1.0,0.4,1.5,1,0.2\n"
    )
    (tmp_path / "trajectory.json").write_text(json.dumps({"layers": list(LAYERS)}))
    trajectory = load_trajectory(tmp_path)
    np.testing.assert_array_equal(trajectory.i_t_out[0], [0.5, 0.4])
    np.testing.assert_array_equal(trajectory.i_ty[0], [0.5, 0.4])  # the old attribute name
    np.testing.assert_array_equal(trajectory.i_t_label[0], [0.25, 0.2])


def test_a_point_cut_short_by_a_kill_is_dropped(tmp_path):
    write(tmp_path / "t.csv", [values(0), values(1)])
    text = (tmp_path / "t.csv").read_text()
    lines = text.splitlines(keepends=True)
    (tmp_path / "t.csv").write_text("".join(lines[:-1]) + lines[-1][:7])  # half a row
    assert len(load_trajectory(tmp_path / "t.csv")) == 1
    (tmp_path / "t.csv").write_text("".join(lines[:-1]))  # one layer of the last point
    assert len(load_trajectory(tmp_path / "t.csv")) == 1


def test_bad_rows_name_the_file_and_line(tmp_path):
    write(tmp_path / "t.csv", [values(0)])
    lines = (tmp_path / "t.csv").read_text().splitlines()
    lines[2] = lines[2].replace(",Z,", ",Q,")
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(TrajectoryFormatError, match=r"t\.csv line 3: expected point 0 layer 'Z'"):
        load_trajectory(tmp_path / "t.csv")
    (tmp_path / "t.csv").write_text("point,iteration\n")
    with pytest.raises(TrajectoryFormatError, match="line 1: header"):
        load_trajectory(tmp_path / "t.csv")
    (tmp_path / "t.json").unlink()
    with pytest.raises(TrajectoryFormatError, match="missing"):
        load_trajectory(tmp_path / "t.csv")


def test_compressed_tables_load_the_same(tmp_path):
    write(tmp_path / "trajectory.csv", [values(0), values(1)])
    plain = load_trajectory(tmp_path)
    compressed = compress_table(tmp_path / "trajectory.csv")
    assert compressed.name == "trajectory.csv.gz" and not (tmp_path / "trajectory.csv").exists()
    with gzip.open(compressed, "rt") as f:
        assert f.readline().startswith("point,iteration")
    np.testing.assert_array_equal(load_trajectory(tmp_path).i_xt, plain.i_xt)
