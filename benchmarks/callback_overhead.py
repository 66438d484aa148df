"""What recording the information plane costs during model.fit, and the memory of a long run.

Part 1 (mnist-5k: 4,000 training images, batch 100, 5 epochs = 200 iterations, n = 100 probe
images): wall time of plain ``fit``, of ``fit`` with ``InfoPlaneCallback(record=1)`` (the
paper's resolution, default settings: points estimated in the background, 4 per call), of the
same in the immediate mode (``points_per_call=1, background=False``: every point estimated and
written before training goes on) and with ``every="epoch"``, for the shallow and the deep AE,
and the ratios to plain ``fit``. Each variant gets a fresh model and a one-epoch warm-up fit
(tracing) before the timed fit, so the ratios compare steady-state training; each time is the
median of 5 (``--repeats``), with the variants interleaved so that drifts of the machine hit
all alike. The individual times are printed too (on this 2-core machine they spread by ±20 %),
and each repeat's own every=1 ratio.

Part 0 (the fixed cost of a new callback): a new model fitted for the same 200 iterations twice,
with a new ``InfoPlaneCallback(record=1)`` and without; the callback's fixed cost is how much
longer its first fit takes than its second (tracing, XLA compilation), minus the same difference
of the plain fits (Keras's own tracing). Median of ``--repeats``; with the callback, each
repeat runs once with XLA's persistent cache off and once with a filled one (a temporary
folder filled by a first process), side by side.

Part 2: peak RSS of a 30,000-iteration deep-AE run with ``every=1`` streaming to disk, on
synthetic data (60,000 × 784, batch 100, 50 epochs), measured in a child process (its own
high-water mark, ``VmHWM``: on Linux the child's ``ru_maxrss`` would include this process's
peak before the fork); compared with what keeping a copy of the weights at every step (the
authors' approach) would take.

Prints only; asserts nothing. Run:
``python benchmarks/callback_overhead.py [--skip-rss | --rss-only] [--repeats N]
[--fixed-cost-only]``.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from infoplane_tf import InfoPlaneCallback, build_model, load_dataset  # noqa: E402
from infoplane_tf._xla_cache import CACHE_ENV  # noqa: E402

EPOCHS = 5
BATCH = 100
REPEATS = 5


#: The timed variants: label → InfoPlaneCallback keyword arguments (None: plain fit).
VARIANTS = {
    "plain fit": None,
    "every=1": {"record": 1},
    "every=1 immediate": {"record": 1, "points_per_call": 1, "background": False},
    "epoch": {"record": "epoch"},
}


class HookTimedCallback(InfoPlaneCallback):
    """InfoPlaneCallback that adds up the seconds spent in its Keras hooks (training thread)."""

    hook_seconds = 0.0


def _timed_hook(hook):
    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return hook(self, *args, **kwargs)
        finally:
            self.hook_seconds += time.perf_counter() - start

    return timed


for _name in ("on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_epoch_end",
              "on_train_end"):  # fmt: skip
    setattr(HookTimedCallback, _name, _timed_hook(getattr(InfoPlaneCallback, _name)))


def timed_fit(name, data, settings):
    """``(seconds, seconds in the callback's hooks)`` of a 5-epoch fit after a 1-epoch warm-up
    (tracing) on a fresh model, with ``InfoPlaneCallback(**settings)`` (None: no callback)."""
    keras.utils.set_random_seed(0)
    model = build_model(name)
    callbacks = [] if settings is None else [HookTimedCallback(data.probe.x, **settings)]
    x = data.x_train
    model.fit(x, x, epochs=1, batch_size=BATCH, verbose=0, callbacks=callbacks)
    for callback in callbacks:
        callback.hook_seconds = 0.0
    start = time.perf_counter()
    model.fit(x, x, epochs=EPOCHS, batch_size=BATCH, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - start
    return seconds, sum(callback.hook_seconds for callback in callbacks)


def all_times(name, data, repeats=REPEATS):
    """``{variant: [(seconds, hook seconds)]}``, ``repeats`` each, the variants interleaved."""
    times = {label: [] for label in VARIANTS}
    for _ in range(repeats):
        for label, settings in VARIANTS.items():
            times[label].append(timed_fit(name, data, settings))
    return times


FIXED_COST_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from infoplane_tf import InfoPlaneCallback, build_model, load_dataset
    name, with_callback, epochs, batch = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), 100
    data = load_dataset("mnist-5k", probe_size=100)
    x = data.x_train
    result = []
    for _ in range(2):  # a cold process, then a second new model in the same process
        keras.utils.set_random_seed(0)
        model = build_model(name)
        callbacks = [InfoPlaneCallback(data.probe.x, record=1)] if with_callback else []
        times = []
        for _ in range(2):
            start = time.perf_counter()
            model.fit(x, x, epochs=epochs, batch_size=batch, verbose=0, callbacks=callbacks)
            times.append(time.perf_counter() - start)
        result.append(times)
    print(json.dumps(result))
    """
)


def first_minus_second(name, with_callback, cache="off"):
    """``[cold, warm]`` first-fit minus second-fit seconds of a new model, in a new process
    (cold) and for a second new model in that process (warm); ``cache`` is the process's
    ``INFOPLANE_TF_XLA_CACHE`` (a folder, or ``off``)."""
    command = [sys.executable, "-c", FIXED_COST_SCRIPT, name, str(int(with_callback)), str(EPOCHS)]
    environment = {**os.environ, CACHE_ENV: str(cache)}
    environment.pop("TF_XLA_FLAGS", None)  # this process's own import set it
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env=environment
    ).stdout
    return [first - second for first, second in json.loads(output.splitlines()[-1])]


def fixed_cost(repeats=REPEATS):
    print(
        f"Part 0: fixed cost of a new InfoPlaneCallback(record=1) ({EPOCHS} epochs of mnist-5k, "
        "n = 100): (first - second fit) with the callback minus the same without; median of "
        f"{repeats} repeats, without XLA's persistent cache and with a filled one"
    )
    with tempfile.TemporaryDirectory() as folder:
        caches = {"no cache": "off", "cache": folder}
        for name, label in (("vanilla", "shallow"), ("deep", "deep")):
            first_minus_second(name, True, folder)  # fills the cache
            rows = {"plain": [], **{key: [] for key in caches}}
            for _ in range(repeats):
                rows["plain"].append(first_minus_second(name, False))
                for key, cache in caches.items():
                    rows[key].append(first_minus_second(name, True, cache))
            for k, where in enumerate(("new process", "second model in the process")):
                median = {key: statistics.median(r[k] for r in rows[key]) for key in rows}
                costs = {key: median[key] - median["plain"] for key in caches}
                print(
                    f"  {label:<8} {where:<28} first - second fit: plain {median['plain']:.2f} s; "
                    + "; ".join(f"{key}: callback {median[key]:.2f} s, fixed cost "
                                f"{costs[key]:.2f} s" for key in caches)
                    + f"; no cache / cache {costs['no cache'] / max(costs['cache'], 1e-3):.1f}x"
                )  # fmt: skip
                for key in caches:
                    each = " ".join(f"{r[k]:.2f}" for r in rows[key])
                    print(f"  {'':<8} {'':<28} ({key}, with the callback, each repeat: {each})")


def overhead(repeats=REPEATS):
    data = load_dataset("mnist-5k", probe_size=100)
    iterations = EPOCHS * len(data.x_train) // BATCH
    print(
        f"Part 1: mnist-5k, {len(data.x_train)} images, batch {BATCH}, {EPOCHS} epochs "
        f"({iterations} iterations), probe n = 100"
    )
    header = "".join(f"{label:>19}" for label in VARIANTS)
    ratios = "".join(f"{label + '/plain':>26}" for label in list(VARIANTS)[1:])
    print(f"  {'model':<8}{header}{ratios}")
    raw = {}
    for name, model in (("vanilla", "shallow"), ("deep", "deep")):
        raw[model] = all_times(name, data, repeats)
        medians = {
            label: statistics.median(t for t, _ in runs) for label, runs in raw[model].items()
        }
        plain = medians["plain fit"]
        seconds = "".join(f"{medians[label]:>18.2f}s" for label in VARIANTS)
        ratio = "".join(f"{medians[label] / plain:>25.2f}x" for label in list(VARIANTS)[1:])
        print(f"  {model:<8}{seconds}{ratio}")
    print("  individual times (s):")
    for model, times in raw.items():
        for label, runs in times.items():
            print(f"    {model:<8} {label:<18} " + " ".join(f"{t:.2f}" for t, _ in runs))
    # Each repeat runs the variants back to back, so its own ratio is less exposed to slow
    # drifts of the machine than the ratio of medians; its spread shows how far one run can land.
    print("  ratio to the plain fit of the same repeat (every=1): median [min-max]")
    for model, times in raw.items():
        pairs = zip(times["every=1"], times["plain fit"], strict=True)
        paired = [seconds / plain for (seconds, _), (plain, _) in pairs]
        print(
            f"    {model:<8} {statistics.median(paired):.2f}x "
            f"[{min(paired):.2f}-{max(paired):.2f}] over {len(paired)} repeats"
        )
    # Wall-time ratios spread by ±15 % between runs on this machine; the time spent inside the
    # callback's hooks is a steadier measure of what the training thread pays (for "epoch" it
    # is the whole cost; for every=1 the background worker's share comes on top).
    print("  median time inside the callback's hooks, as a share of the median plain fit:")
    for model, times in raw.items():
        plain = statistics.median(t for t, _ in times["plain fit"])
        shares = ", ".join(
            f"{label} {statistics.median(h for _, h in runs) / plain:.1%}"
            for label, runs in times.items()
            if label != "plain fit"
        )
        print(f"    {model:<8} {shares}")


RSS_SCRIPT = textwrap.dedent(
    """
    import os, resource, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    from infoplane_tf import InfoPlaneCallback, build_model
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    model = build_model("deep")
    callback = InfoPlaneCallback(x[:100], record=1, filepath=sys.argv[1])
    start = time.time()
    model.fit(x, x, epochs=50, batch_size=100, verbose=0, callbacks=[callback])
    try:  # the peak of this process's own memory (Linux)
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        # ru_maxrss of a process started by fork + exec includes the parent's peak before the
        # fork on Linux, so it can only overstate.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(callback.trajectory)} {model.count_params()} {time.time() - start:.0f} {peak:.0f}")
    """
)


def peak_rss():
    print("\nPart 2: 30,000-iteration deep-AE run, every=1, streamed to disk (synthetic data)")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "trajectory.csv")
        result = subprocess.run(
            [sys.executable, "-c", RSS_SCRIPT, path], capture_output=True, text=True, check=True
        )
        points, params, seconds, peak_mb = result.stdout.split()[-4:]
        size_mb = os.path.getsize(path) / 2**20
    weights_gb = int(points) * int(params) * 4 / 2**30
    print(f"  points recorded: {points} in {seconds} s; trajectory file {size_mb:.1f} MB")
    print(f"  peak RSS of the training process: {float(peak_mb):.0f} MB")
    print(f"  a float32 copy of the {params} weights at every step would take {weights_gb:.1f} GB")
    print(
        "  (this benchmarking process, after the models of part 1 if it ran: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-rss", action="store_true", help="skip the 30,000-step run")
    parser.add_argument("--rss-only", action="store_true", help="only the 30,000-step run")
    parser.add_argument("--fixed-cost-only", action="store_true", help="only part 0")
    parser.add_argument(
        "--repeats", type=int, default=REPEATS, help=f"timed fits per variant (default {REPEATS})"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if not args.rss_only:
        fixed_cost(args.repeats)
    if args.fixed_cost_only:
        return
    if not args.rss_only:
        overhead(args.repeats)
    if not args.skip_rss:
        peak_rss()


if __name__ == "__main__":
    main()
