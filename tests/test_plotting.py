"""Figures from in-memory synthetic runs: panels, labels, limits, formats, animation, errors."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from PIL import Image

from infoplane_tf import plotting
from infoplane_tf.io.measurements import Measurement
from infoplane_tf.io.runs import History, Run
from infoplane_tf.io.trajectory import Trajectory

DEEP = ("E1", "E2", "Z", "D1", "D2")
LOG2_100 = math.log2(100)


def make_run(
    layers=DEEP,
    points=300,
    name="deep",
    n_probe=100,
    examples=True,
    per_iteration=True,
    invalid=(7,),
    seed=0,
    labels=False,
):
    """A synthetic run: I(X;T) rises to a per-layer peak by 1/6 of training, then falls.

    With ``labels``, I(T;Y) is recorded too: 0.4 I(X;T) (at most log2 10 bits), NaN where
    I(X;T) is.
    """
    rng = np.random.default_rng(seed)
    iterations = np.linspace(0, 30_000, points).round().astype(np.int64)
    t = iterations / 30_000
    peaks = np.linspace(6.4, 4.4, len(layers))
    rise = peaks * (1 - np.exp(-t[:, None] / 0.04))
    fall = np.clip(t[:, None] - 1 / 6, 0, None) * 2.0 * (peaks > 5)
    i_xt = rise - fall + rng.normal(0, 0.02, rise.shape)
    i_t_out = 0.97 * i_xt
    i_xt[list(invalid)] = np.nan
    i_t_out[list(invalid)] = np.nan
    trajectory = Trajectory(
        layers=tuple(layers),
        iterations=iterations,
        epochs=iterations / 600,
        loss=0.05 * np.exp(-3 * t),
        i_xt=i_xt,
        i_t_out=i_t_out,
        h_t=i_xt.copy(),
        sigma=np.ones_like(i_xt),
        i_t_label=0.4 * i_xt if labels else None,
        settings={"estimator": {"n_probe": n_probe}},
    )
    epoch_iterations = np.arange(0, 30_001, 600)
    history = History(
        iterations=epoch_iterations,
        epochs=epoch_iterations / 600,
        train_loss=10 ** (-1.2 - epoch_iterations / 30_000),
        test_loss=10 ** (-1.1 - epoch_iterations / 30_000),
    )
    if per_iteration:
        steps = np.arange(1, 30_001, 50)
        history.iteration_iterations = steps
        history.iteration_epochs = steps / 600
        history.iteration_train_loss = 10 ** (-1.2 - steps / 30_000)
        history.iteration_test_loss = 10 ** (-1.1 - steps / 30_000)
    sample = None
    if examples:
        inputs = rng.random((12, 784))
        sample = {"inputs": inputs, "reconstructions": np.clip(inputs + 0.1, 0, 1)}
    config = {"model": "deep", "dataset": "mnist", "epochs": 50, "seed": seed, "name": name}
    return Run(
        Path(f"/runs/{name}"), config, Measurement(trajectory), history, {"complete": True}, sample
    )


@pytest.fixture(scope="module")
def deep():
    return make_run()


@pytest.fixture(scope="module")
def shallow():
    return make_run(layers=("Z",), name="shallow", examples=False, per_iteration=False, seed=1)


def panels(fig):
    """The data axes of a figure (colour bars excluded), in creation order."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


# --------------------------------------------------------------------------------------------
# Information plane
# --------------------------------------------------------------------------------------------


def test_information_plane_deep_grid(deep):
    fig = plotting.plot_information_plane([deep])
    assert isinstance(fig, Figure)
    axes = panels(fig)
    # The paper's grid: encoder row E1 E2 Z over decoder row Z D1 D2.
    assert [ax.get_title() for ax in axes] == ["E1", "E2", "Z", "Z", "D1", "D2"]
    assert axes[0].get_xlabel() == "$I(X;E1)$" and axes[0].get_ylabel() == "$I(E1;X')$"
    assert axes[2].get_xlabel() == "$I(X;Z)$" and axes[5].get_ylabel() == "$I(D2;X')$"
    rows = {round(ax.get_position().y0, 3) for ax in axes}
    assert len(rows) == 2
    (colorbar,) = colorbars(fig)
    assert colorbar.get_ylabel() == "iteration"
    assert colorbar.get_ylim() == pytest.approx((0, 30_000))
    for ax in axes:
        low, high = ax.get_xlim()
        assert ax.get_ylim() == (low, high)
        assert -0.5 < low < 0 and LOG2_100 < high < LOG2_100 + 0.5
        diagonal = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert len(diagonal) == 1
        np.testing.assert_allclose(diagonal[0].get_xdata(), [0, LOG2_100])
        np.testing.assert_allclose(diagonal[0].get_ydata(), [0, LOG2_100])
    assert "deep" in fig.get_suptitle() and "n = 100" in fig.get_suptitle()


def test_information_plane_scatter_skips_invalid_points(deep):
    fig = plotting.plot_information_plane([deep], layers=["Z"])
    (ax,) = panels(fig)
    (scatter,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = scatter.get_offsets()
    assert len(offsets) == len(deep.trajectory) - 1  # point 7 is invalid
    z = deep.trajectory.layers.index("Z")
    valid = np.delete(np.arange(len(deep.trajectory)), 7)
    np.testing.assert_allclose(offsets[:, 0], deep.trajectory.i_xt[valid, z])
    np.testing.assert_allclose(offsets[:, 1], deep.trajectory.i_t_out[valid, z])
    np.testing.assert_allclose(scatter.get_array(), deep.trajectory.iterations[valid])
    assert scatter.get_rasterized()


def test_information_plane_subsamples_long_runs():
    run = make_run(layers=("Z",), points=12_000, examples=False, invalid=())
    (ax,) = panels(plotting.plot_information_plane(run))
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == plotting.MAX_POINTS
    trajectory = run.trajectory
    np.testing.assert_allclose(offsets[0], [trajectory.i_xt[0, 0], trajectory.i_t_out[0, 0]])
    np.testing.assert_allclose(offsets[-1], [trajectory.i_xt[-1, 0], trajectory.i_t_out[-1, 0]])


def test_information_plane_explicit_layers_and_probe_size():
    run = make_run(n_probe=64)
    fig = plotting.plot_information_plane(run, layers=["E1", "E2", "Z", "D1", "D2"])
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == list(DEEP)  # explicit: no repeated Z
    assert len({round(ax.get_position().x0, 3) for ax in axes}) == 3  # at most 3 columns
    assert axes[0].get_xlim()[1] == pytest.approx(6 * 1.04)
    fig = plotting.plot_information_plane(run, layers=["D2", "Z"])
    assert [ax.get_title() for ax in panels(fig)] == ["D2", "Z"]


def test_information_plane_overlay(deep, shallow):
    fig = plotting.plot_information_plane([deep, shallow])
    assert not colorbars(fig)  # time is not coloured when runs are overlaid
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["E1", "E2", "Z", "Z", "D1", "D2"]
    (legend,) = fig.legends
    assert [text.get_text() for text in legend.get_texts()] == ["deep", "shallow", "end"]
    z_panel = axes[2]
    colors = {line.get_color() for line in z_panel.get_lines() if line.get_linestyle() == "-"}
    assert len(colors) == 2  # both runs drawn in the Z panel, one colour each
    e1_lines = [line for line in axes[0].get_lines() if line.get_linestyle() == "-"]
    assert len(e1_lines) == 1  # the shallow run has no E1


def test_layer_without_valid_points(tmp_path):
    run = make_run(layers=("Z", "D1"), examples=False)
    run.trajectory.i_xt[:, 1] = np.nan
    z, d1 = panels(plotting.plot_information_plane(run))
    assert len(z.collections[0].get_offsets()) == len(run.trajectory) - 1
    assert len(d1.collections[0].get_offsets()) == 0
    assert [t.get_text() for t in d1.texts] == ["no valid points"]
    assert not z.texts
    plotting.save_figure(plotting.plot_all(run), tmp_path / "empty.png", dpi=30)


def test_unknown_layer_lists_the_layers(deep):
    with pytest.raises(ValueError, match=r"'E9'.*available layers: E1, E2, Z, D1, D2"):
        plotting.plot_information_plane(deep, layers=["Z", "E9"])
    with pytest.raises(ValueError, match="available layers"):
        plotting.plot_dpi(deep, layers=["nope"])
    with pytest.raises(ValueError, match="no runs"):
        plotting.plot_information_plane([])


def test_layer_names_outside_mathtext_render(tmp_path):
    run = make_run(layers=("dense_1", "code^2"), examples=False)
    fig = plotting.plot_information_plane(run)
    assert panels(fig)[0].get_xlabel() == r"$I(X;\mathrm{dense\_1})$"
    plotting.save_figure(fig, tmp_path / "odd.png", dpi=30)  # raises if mathtext fails
    plotting.save_figure(plotting.plot_dpi(run), tmp_path / "odd-dpi.png", dpi=30)


# --------------------------------------------------------------------------------------------
# Supervised information plane (ip-label)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled():
    return make_run(name="labelled", labels=True, seed=2)


def test_label_plane_draws_i_t_label(labelled):
    fig = plotting.plot_label_plane(labelled)
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["E1", "E2", "Z", "Z", "D1", "D2"]
    assert axes[0].get_xlabel() == "$I(X;E1)$" and axes[0].get_ylabel() == "$I(E1;Y)$"
    assert axes[5].get_xlabel() == "$I(X;D2)$" and axes[5].get_ylabel() == "$I(D2;Y)$"
    (colorbar,) = colorbars(fig)
    assert colorbar.get_ylabel() == "iteration"
    (scatter,) = [c for c in axes[2].collections if isinstance(c, PathCollection)]
    trajectory = labelled.trajectory
    z = trajectory.layers.index("Z")
    valid = np.delete(np.arange(len(trajectory)), 7)  # point 7 is invalid
    offsets = scatter.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], trajectory.i_xt[valid, z])
    np.testing.assert_allclose(offsets[:, 1], trajectory.i_t_label[valid, z])
    assert not np.allclose(offsets[:, 1], trajectory.i_t_out[valid, z])
    for ax in axes:  # the same square limits and diagonal as the output plane
        assert ax.get_xlim() == ax.get_ylim() == pytest.approx((-0.04 * LOG2_100, 1.04 * LOG2_100))
        (diagonal,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        np.testing.assert_allclose(diagonal.get_ydata(), [0, LOG2_100])
    assert "labelled" in fig.get_suptitle()


def test_label_plane_overlay_and_layers(labelled):
    other = make_run(layers=("Z",), name="other", labels=True, examples=False, seed=3)
    fig = plotting.plot_label_plane([labelled, other], layers=["Z"])
    (ax,) = panels(fig)
    assert ax.get_ylabel() == "$I(Z;Y)$" and not colorbars(fig)
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert len(lines) == 2
    valid = np.isfinite(other.trajectory.i_xt[:, 0])
    np.testing.assert_allclose(lines[1].get_ydata(), other.trajectory.i_t_label[valid, 0])
    (legend,) = fig.legends
    assert [text.get_text() for text in legend.get_texts()] == ["labelled", "other", "end"]
    assert fig.get_suptitle() == "supervised information plane"


def test_label_plane_needs_labels(tmp_path, deep, shallow, labelled):
    with pytest.raises(ValueError, match=r"^/runs/deep: recorded without labels"):
        plotting.plot_label_plane([labelled, deep])
    with pytest.raises(ValueError, match=r"^/runs/deep, /runs/shallow: recorded without labels"):
        plotting.plot_label_plane([deep, shallow])
    with pytest.raises(ValueError, match="recorded without labels"):
        plotting.plot_runs(deep, tmp_path / "x.png", kind="ip-label")
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(ValueError, match="available layers"):
        plotting.plot_label_plane(labelled, layers=["nope"])


@pytest.mark.slow
def test_plot_runs_draws_every_kind(tmp_path, labelled):
    for kind in plotting.PLOT_KINDS:
        refusals = {"sensitivity": "is not a width map", "diagnostics": "no diagnostics in"}
        if kind in refusals:  # need a re-measurement: drawn in test_cli / test_diagnostics
            with pytest.raises(ValueError, match=refusals[kind]):
                plotting.plot_runs(labelled, tmp_path / "s.png", kind=kind)
            continue
        (path,) = plotting.plot_runs(labelled, tmp_path / f"{kind}.png", kind=kind, dpi=20)
        with Image.open(path) as image:
            assert image.format == "PNG"


# --------------------------------------------------------------------------------------------
# DPI strip, losses, reconstructions, all
# --------------------------------------------------------------------------------------------


def test_dpi_deep(deep):
    fig = plotting.plot_dpi([deep])
    encoder, decoder = panels(fig)
    x = deep.trajectory.i_xt[:, [DEEP.index(name) for name in ("E1", "E2", "Z")]]
    out = deep.trajectory.i_t_out[:, [DEEP.index(name) for name in ("D2", "D1", "Z")]]
    held = [
        np.mean((v[:, 0] >= v[:, 1]) & (v[:, 1] >= v[:, 2]), where=np.isfinite(v).all(axis=1))
        for v in (x, out)
    ]  # of the points where every layer was measured
    assert 0 < held[0] < 1  # the fixture breaks the order somewhere: the check can show it
    assert encoder.get_title() == (
        rf"encoder side: $I(X;E1) \geq I(X;E2) \geq I(X;Z)$" f"\nholds at {held[0]:.1%} of points"
    )
    assert decoder.get_title() == (
        rf"decoder side: $I(D2;X') \geq I(D1;X') \geq I(Z;X')$"
        f"\nholds at {held[1]:.1%} of points"
    )
    assert encoder.get_xlabel() == decoder.get_xlabel() == "iteration"
    assert "bits" in encoder.get_ylabel()
    legend = [text.get_text() for text in encoder.get_legend().get_texts()]
    assert legend == ["$I(X;E1)$", "$I(X;E2)$", "$I(X;Z)$"]
    e2 = encoder.get_lines()[1]
    j = DEEP.index("E2")
    valid = np.isfinite(deep.trajectory.i_xt[:, j])
    np.testing.assert_allclose(e2.get_ydata(), deep.trajectory.i_xt[valid, j])
    z_out = decoder.get_lines()[2]
    np.testing.assert_allclose(z_out.get_ydata(), deep.trajectory.i_t_out[valid, DEEP.index("Z")])
    assert encoder.get_ylim()[1] == pytest.approx(LOG2_100 * 1.04)


def test_dpi_shallow_and_overlay(deep, shallow):
    encoder, decoder = panels(plotting.plot_dpi(shallow))
    assert encoder.get_title() == "encoder side: $I(X;Z)$"
    assert len(encoder.get_lines()) == len(decoder.get_lines()) == 1
    axes = panels(plotting.plot_dpi([deep, shallow]))
    assert len(axes) == 4  # a row per run
    assert axes[0].get_ylabel().startswith("deep\n") and axes[2].get_ylabel().startswith("shallow")
    assert len(axes[0].get_lines()) == 3 and len(axes[2].get_lines()) == 1


def test_losses_use_per_iteration_history(deep):
    (ax,) = panels(plotting.plot_losses(deep))
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == r"$\log_{10}$ loss"
    train, test = ax.get_lines()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    np.testing.assert_allclose(train.get_xdata(), deep.history.iteration_iterations)
    np.testing.assert_allclose(test.get_ydata(), np.log10(deep.history.iteration_test_loss))


def test_losses_fall_back_to_epochs_and_trajectory(deep, shallow):
    (ax,) = panels(plotting.plot_losses(shallow))
    train, test = ax.get_lines()
    np.testing.assert_allclose(train.get_xdata(), shallow.history.iterations)
    np.testing.assert_allclose(train.get_ydata(), np.log10(shallow.history.train_loss))
    bare = make_run(per_iteration=False, examples=False)
    bare.history = type(bare.history)(*(np.zeros(0) for _ in range(4)))
    bare.trajectory.loss[0] = np.nan  # before training: no loss
    (ax,) = panels(plotting.plot_losses(bare))
    (train,) = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), np.log10(bare.trajectory.loss[1:]))
    (ax,) = panels(plotting.plot_losses([deep, shallow]))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["train deep", "test deep", "train shallow", "test shallow"]


def test_reconstructions(deep):
    fig = plotting.plot_reconstructions(deep, count=4)
    axes = panels(fig)
    assert len(axes) == 8
    images = [ax.get_images()[0].get_array() for ax in axes]
    assert all(image.shape == (28, 28) for image in images)
    np.testing.assert_allclose(images[0], deep.examples["inputs"][0].reshape(28, 28))
    np.testing.assert_allclose(images[4], deep.examples["reconstructions"][0].reshape(28, 28))
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in axes)
    assert axes[0].get_ylabel() == "input" and axes[4].get_ylabel() == "output"
    assert len(panels(plotting.plot_reconstructions(deep, count=50))) == 2 * 12


def test_reconstructions_errors(deep, shallow):
    with pytest.raises(ValueError, match="/runs/shallow"):
        plotting.plot_reconstructions([deep, shallow])
    with pytest.raises(ValueError, match="count"):
        plotting.plot_reconstructions(deep, count=0)
    odd = make_run(name="odd")
    odd.examples = {"inputs": np.zeros((3, 30)), "reconstructions": np.zeros((3, 30))}
    with pytest.raises(ValueError, match="image_shape"):
        plotting.plot_reconstructions(odd)
    odd.config["image_shape"] = [5, 6]
    assert panels(plotting.plot_reconstructions(odd))[0].get_images()[0].get_array().shape == (
        5,
        6,
    )


def test_plot_all(deep, shallow):
    fig = plotting.plot_all(deep)
    plane, strip, recon = fig.subfigs
    assert len(colorbars(fig)) == 1
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles[:6] == ["E1", "E2", "Z", "Z", "D1", "D2"]
    assert "loss" in titles and any(t.startswith("encoder side") for t in titles)
    assert len(panels(fig)) == 6 + 2 + 1 + 20
    assert len(plotting.plot_all(shallow).subfigs) == 2  # no examples: no reconstruction part
    assert len(panels(plotting.plot_all([deep, shallow], layers=["Z"]))) == 1 + 4 + 1


# --------------------------------------------------------------------------------------------
# Files: save_figure, animation, plot_runs
# --------------------------------------------------------------------------------------------


def test_save_figure_formats(tmp_path, shallow):
    fig = plotting.plot_information_plane(shallow)
    png = plotting.save_figure(fig, tmp_path / "sub" / "ip.png", dpi=50)
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == tuple(round(s * 50) for s in fig.get_size_inches())
    svg = plotting.save_figure(fig, tmp_path / "ip.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"<svg" in svg[:1000]
    assert plotting.save_figure(fig, tmp_path / "ip.PDF").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"'\.txt'.*\.png, \.svg, \.pdf"):
        plotting.save_figure(fig, tmp_path / "ip.txt")
    assert not (tmp_path / "ip.txt").exists()


def test_animation_writes_frames(tmp_path, deep):
    path = plotting.animate_information_plane(
        deep, tmp_path / "ip.gif", layers=["Z", "D1"], frames=4, fps=5, dpi=30
    )
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames == 4
        first = np.asarray(image.convert("RGB"), dtype=float)
        image.seek(3)
        last = np.asarray(image.convert("RGB"), dtype=float)
    assert np.abs(first - last).mean() > 0.1  # the plane fills up over the frames
    with pytest.raises(ValueError, match="gif"):
        plotting.animate_information_plane(deep, tmp_path / "ip.mp4")
    with pytest.raises(ValueError, match="frames"):
        plotting.animate_information_plane(deep, tmp_path / "ip.gif", frames=0)


def test_plot_runs(tmp_path, deep, shallow):
    written = plotting.plot_runs([deep], tmp_path / "dpi.png", kind="dpi", layers=["Z"])
    assert written == [tmp_path / "dpi.png"] and written[0].stat().st_size > 0
    for kind in ("ip", "loss", "recon"):
        assert plotting.plot_runs(deep, tmp_path / f"{kind}.svg", kind=kind)[0].exists()
    written = plotting.plot_runs(
        shallow, tmp_path / "all.pdf", layers=["Z"], animate=True, frames=3, dpi=40
    )
    assert written == [tmp_path / "all.pdf", tmp_path / "all.gif"]
    assert all(path.exists() for path in written)
    with pytest.raises(ValueError, match="choose one of: all, ip, ip-label, dpi, loss, recon"):
        plotting.plot_runs(deep, tmp_path / "x.png", kind="everything")
    with pytest.raises(ValueError, match="'.jpg'"):
        plotting.plot_runs(deep, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="gif"):
        plotting.plot_runs(deep, tmp_path / "x.png", animate=tmp_path / "x.avi")
    with pytest.raises(ValueError, match="frames"):
        plotting.plot_runs(deep, tmp_path / "x.png", animate=True, frames=0)
    with pytest.raises(ValueError, match="/runs/shallow"):
        plotting.plot_runs(shallow, tmp_path / "x.png", kind="recon")
    assert not (tmp_path / "x.png").exists()


def test_modules_stay_light():
    code = (
        "import sys; import infoplane_tf.plotting, infoplane_tf.analysis.phases;"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported';"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_seed_bands_show_median_and_range(tmp_path):
    runs = [make_run(seed=seed, name=f"s{seed}") for seed in range(3)]
    scale = [0.9, 1.0, 1.1]
    for run, factor in zip(runs, scale, strict=True):
        run.trajectory.i_xt = run.trajectory.i_xt * factor
    fig = plotting.plot_seed_bands({"paper": runs, "scaled": runs[:2]})
    axes = [ax for ax in fig.axes if ax.get_title() or ax.get_xlabel()]
    assert len(axes) == 4
    assert axes[0].get_title() == "paper (3 seeds)" and axes[1].get_title() == "scaled (2 seeds)"
    assert axes[0].get_ylabel() == "$I(X;Z)$"
    median_line = axes[0].get_lines()[0].get_ydata()
    z = runs[1].trajectory.layer("Z")["i_xt"]
    finite = np.isfinite(z)
    np.testing.assert_allclose(median_line[finite], z[finite])
    plotting.save_figure(fig, tmp_path / "bands.png")
    with pytest.raises(ValueError, match="non-empty group"):
        plotting.plot_seed_bands({"empty": []})
    with pytest.raises(ValueError, match="no layer 'Q'"):
        plotting.plot_seed_bands({"paper": runs}, layer="Q")


def test_seed_bands_align_runs_on_shared_iterations():
    dense = make_run(seed=0, name="dense")
    sparse = make_run(seed=0, name="sparse")  # same values, shifted by +1 below
    t = sparse.trajectory
    keep = slice(None, None, 10)
    for key in ("iterations", "epochs", "loss"):
        setattr(t, key, getattr(t, key)[keep])
    for key in ("i_xt", "i_t_out", "h_t", "sigma"):
        setattr(t, key, getattr(t, key)[keep] + 1.0)
    t.valid = t.valid[keep]
    fig = plotting.plot_seed_bands({"mixed": [dense, sparse]})
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), t.iterations)
    expected = dense.trajectory.layer("Z")["i_xt"][keep] + 0.5  # median of v and v + 1
    finite = np.isfinite(expected)
    np.testing.assert_allclose(line.get_ydata()[finite], expected[finite])
