"""Estimator families: the matrix-based Rényi estimator and three Shannon estimators beside it,
one registry entry each, the only place a family is described.

Each family measures I(X;T), I(T;X') and I(T;Y) of a layer T from the same forward pass of the
same probe, in bits; they differ in what they assume and in what they can see:

- ``renyi``: matrix-based Rényi α-entropies of Gaussian Gram matrices (the package's own
  estimator; α, σ and γ as for ``InformationPlane``);
- ``binning``: units in B equal bins, plug-in entropies of the codes (``estimator.binning``);
- ``binwidth``: units in bins of a fixed width Δ with no range (Saxe et al.'s code), the same
  plug-in entropies;
- ``kde``: T plus Gaussian noise of variance s², the pairwise-distance bounds on its entropy
  (``estimator.kde``; the upper bound is the point, the lower bound is kept beside it);
- ``knn``: Kraskov–Stögbauer–Grassberger with k neighbours, Ross's variant for labels
  (``estimator.knn``).

A family's parameter (``bins``, ``noise_variance``, ``k``) names ``measure``'s argument and
the command line's ``--bins``, ``--noise-variance``, ``--k``. TensorFlow is not imported here.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from infoplane_tf.validation import ParameterError, positive_float, positive_int


@dataclasses.dataclass(frozen=True)
class EstimatorFamily:
    """A family of mutual-information estimators.

    Attributes:
        name: What users pass (``measure(family=...)``, ``--family``).
        description: One line for help texts.
        parameter: The Python name of its one parameter, or None (``renyi`` takes the run's
            α, σ and γ instead).
        default: The parameter's default.
        symbol: How figures and reports write the parameter (``B = 30``).
        integer: Whether the parameter is an integer.
        lower_bound: Whether a point comes with a lower bound (kept beside it).
        reference: Where the estimator comes from.
        point: ``"module:function"`` computing one point from activations, imported when
            used (see ``estimator.families.family_point``).
    """

    name: str
    description: str
    parameter: str | None = None
    default: float | None = None
    symbol: str = ""
    integer: bool = False
    lower_bound: bool = False
    reference: str = ""
    point: str = ""

    def check(self, value) -> float | int:
        """``value`` of the parameter, validated (ParameterError naming the parameter)."""
        if self.integer:
            return positive_int(self.parameter, value)
        return positive_float(self.parameter, value)

    def member(self, value=None) -> str:
        """The name of a measurement of this family at ``value``: ``binning-30``, ``renyi``."""
        return self.name if self.parameter is None else f"{self.name}-{value:g}"

    def title(self, value=None) -> str:
        """A panel's title: ``binning, B = 30``."""
        return self.name if self.parameter is None else f"{self.name}, {self.symbol} = {value:g}"


_POINTS = "infoplane_tf.estimator.families:"

_ENTRIES = (
    EstimatorFamily(
        "renyi", "matrix-based Renyi entropies of Gaussian Gram matrices (the run's alpha, sigma, "
        "gamma)", reference="Giraldo, Rao & Principe 2015", point=_POINTS + "renyi_point",
    ),
    EstimatorFamily(
        "binning", "each unit in B equal bins, plug-in entropies of the codes", "bins", 30, "B",
        integer=True, reference="Shwartz-Ziv & Tishby 2017", point=_POINTS + "binning_point",
    ),
    EstimatorFamily(
        "binwidth", "each unit in bins of a fixed width, no range (a growing layer fills more "
        "bins), plug-in entropies", "bin_width", 0.07, "Δ",
        reference="Saxe et al. 2018 (their code, artemyk/ibsgd: bins of 0.07)",
        point=_POINTS + "binwidth_point",
    ),
    EstimatorFamily(
        "kde", "T plus Gaussian noise of variance s^2, pairwise-distance bounds on its entropy",
        "noise_variance", 0.1, "s²", lower_bound=True,
        reference="Kolchinsky & Tracey 2017; s^2 = 0.1 as in Saxe et al. 2018",
        point=_POINTS + "kde_point",
    ),
    EstimatorFamily(
        "knn", "k-nearest neighbours (KSG estimator 1; Ross 2014 for labels)", "k", 3, "k",
        integer=True, reference="Kraskov, Stoegbauer & Grassberger 2004; Ross 2014",
        point=_POINTS + "knn_point",
    ),
)  # fmt: skip

#: Every family, by name.
FAMILIES = MappingProxyType({family.name: family for family in _ENTRIES})
#: The families' names, in the registry's order.
FAMILY_NAMES = tuple(FAMILIES)


def family(name: str) -> EstimatorFamily:
    """The family called ``name``; ParameterError listing the families otherwise."""
    if name not in FAMILIES:
        raise ParameterError("family", f"must be one of {', '.join(FAMILY_NAMES)}, got {name!r}")
    return FAMILIES[name]


def family_specs(names, parameters: dict) -> list[tuple[EstimatorFamily, float | int | None]]:
    """Every (family, parameter value) to measure: each family at each of its values.

    Args:
        names: family names, e.g. ``("binning", "kde")``.
        parameters: parameter name → a value, a sequence of values, or None (the default),
            e.g. ``{"bins": (10, 30, 100)}``.

    Raises:
        ParameterError: an unknown or repeated family, a bad value, or a parameter given for
            a family that is not measured.
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ParameterError("family", "needs at least one family")
    chosen = [family(name) for name in names]
    if len(set(names)) != len(names):
        raise ParameterError("family", f"names a family twice: {', '.join(names)}")
    owners = {f.parameter for f in chosen}
    for parameter, value in parameters.items():
        if value is not None and parameter not in owners:
            owner = next(f.name for f in _ENTRIES if f.parameter == parameter)
            raise ParameterError(parameter, f"is a parameter of family {owner!r}, not measured")
    specs = []
    for entry in chosen:
        if entry.parameter is None:
            specs.append((entry, None))
            continue
        values = parameters.get(entry.parameter)
        values = entry.default if values is None else values
        values = values if isinstance(values, (list, tuple)) else [values]
        checked = list(dict.fromkeys(entry.check(value) for value in values))
        members = [entry.member(value) for value in checked]
        if len(set(members)) != len(members):
            raise ParameterError(
                entry.parameter, f"gives one member name twice: {', '.join(members)}"
            )
        specs += [(entry, value) for value in checked]
    return specs


def describe(estimator: dict) -> str:
    """A measurement's estimator in a few words, from its trajectory's ``estimator`` settings:
    ``binning, B = 30 (activation range)``, ``kde, s² = 0.1``, ``knn, k = 3``,
    ``renyi, α = 1.01, σ paper, γ = 2.0``."""
    name = estimator.get("family", "renyi")
    entry = FAMILIES.get(name)
    if entry is None or entry.parameter is None:
        alpha, sigma, gamma = (estimator.get(key) for key in ("alpha", "sigma", "gamma"))
        return f"renyi, α = {alpha}, σ {sigma}, γ = {gamma}"
    text = entry.title(estimator.get(entry.parameter))
    kinds = {kind for layer, kind in (estimator.get("range") or {}).items() if layer != "output"}
    return text + (f" ({' / '.join(sorted(kinds))} range)" if kinds else "")
