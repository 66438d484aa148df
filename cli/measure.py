"""``infoplane-tf measure``: re-estimate the information plane of runs from their checkpoints."""

import click

from infoplane_tf.families import FAMILIES, FAMILY_NAMES
from infoplane_tf.progress import ProgressDisplay
from infoplane_tf.width_rules import REFERENCE_RULES, SIGMA_RULES
from infoplane_tf_cli import options
from infoplane_tf_cli.errors import user_errors


def _gammas(ctx, param, value):
    """``--gamma 2`` → 2.0; ``--gamma 0.25,0.5,1`` → (0.25, 0.5, 1.0), a width map."""
    if value is None:
        return None
    try:
        gammas = tuple(float(part) for part in value.split(","))
    except ValueError:
        message = f"expected a number or comma-separated numbers, got {value!r}"
        raise click.BadParameter(message) from None
    return gammas if "," in value else gammas[0]


def _numbers(kind):
    """``--bins 10,30,100`` → (10, 30, 100); one value → that value."""

    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            values = tuple(kind(part) for part in value.split(","))
        except ValueError:
            expected = "integers" if kind is int else "numbers"
            raise click.BadParameter(
                f"expected comma-separated {expected}, got {value!r}"
            ) from None
        return values if len(values) > 1 else values[0]

    return parse


def _families(ctx, param, value):
    """``--family binning,kde`` → ("binning", "kde")."""
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [name for name in names if name not in FAMILIES]
    if unknown or not names:
        raise click.BadParameter(
            f"expected families among {', '.join(FAMILY_NAMES)}, got {value!r}"
        )
    return names[0] if names == ("renyi",) else names


def _family_parameter(name: str, kind):
    entry = next(f for f in FAMILIES.values() if f.parameter == name)
    return click.option(
        "--" + name.replace("_", "-"),
        name,
        callback=_numbers(kind),
        default=None,
        help=f"{entry.name}: {entry.symbol}, or a list for several members "
        f"(default {entry.default:g}; {entry.reference}).",
    )


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--name", "label", required=True, help="Label: writes RUN/measurements/LABEL/.")
@options.sigma(
    None,
    f"Kernel width: {', '.join([*SIGMA_RULES, *REFERENCE_RULES])}, or a fixed number "
    "(default: the run's).",
)
@click.option(
    "--gamma",
    callback=_gammas,
    default=None,
    help="Width scale (sigma = gamma * the rule's width), or a list such as 0.25,0.5,1,2,4,8 "
    "for a width map measured in one pass (default: the run's).",
)
@click.option("--alpha", type=float, default=None, help="Renyi order (default: the run's).")
@click.option("--probe-size", type=int, default=None, help="Probe images (default: the run's).")
@click.option(
    "--probe-offset", type=int, default=0, show_default=True, help="First test image of the probe."
)
@click.option(
    "--probes",
    type=int,
    default=1,
    show_default=True,
    help="K disjoint probes: each point is their median, with their range as a band.",
)
@click.option(
    "--bootstrap",
    type=int,
    default=0,
    show_default=True,
    help="B resamples of the probe: each point is their median, with a 95%% band.",
)
@click.option(
    "--controls",
    type=int,
    default=0,
    show_default=True,
    help="Also measure F freshly initialised networks: the untrained reference level.",
)
@options.layers
@options.estimator
@options.tolerance
@click.option(
    "--family",
    callback=_families,
    default="renyi",
    show_default=True,
    help="Estimator families, comma-separated, measured in one pass into a family set: "
    + "; ".join(f"{f.name}: {f.description}" for f in FAMILIES.values()),
)
@_family_parameter("bins", int)
@_family_parameter("bin_width", float)
@_family_parameter("noise_variance", float)
@_family_parameter("k", int)
@click.option("--overwrite", is_flag=True, help="Replace an existing measurement LABEL.")
@options.quiet
def measure(run_dirs, label, overwrite, quiet, **settings):
    """Measure runs again at every checkpoint with other estimator settings.

    \b
    Examples:
      infoplane-tf measure runs/deep --name gamma1 --gamma 1
      infoplane-tf measure runs/deep --name widths --gamma 0.25,0.5,1,2,4,8 --controls 3
      infoplane-tf measure runs/deep --name bands --probes 5
      infoplane-tf measure runs/deep --name families --family renyi,binning,kde,knn \\
          --bins 10,30,100 --noise-variance 0.01,0.1,1 --controls 3
    """
    with user_errors(tensorflow=True):
        from infoplane_tf.io.runs import open_run
        from infoplane_tf.workflows.measure import measure as measure_run
        from infoplane_tf.workflows.measure import write_measurement

        for run in [open_run(path) for path in run_dirs]:  # all checked before the first
            with ProgressDisplay(str(run.path), quiet=quiet) as display:
                display.update(0)  # the clock starts before the model is built and compiled
                measured = measure_run(run, progress=display.update, **settings)
            click.echo(str(write_measurement(run, label, measured, overwrite=overwrite)))
