"""The estimator families (binning, KDE bounds, kNN; matrix-Rényi beside them, all through
``family_point``) against independent NumPy/SciPy references written here and analytic cases.

Tolerances below were measured (the numbers are in the comments) with the commands' seeds; they
are not tuned to the seeds used here: each leaves a margin of several seed-to-seed spreads.
"""

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist, pdist
from scipy.special import digamma, logsumexp

from infoplane_tf.estimator import binning, kde, knn
from infoplane_tf.estimator.families import POINT_KEYS, family_point
from infoplane_tf.families import FAMILIES, family_specs

LN2 = math.log(2.0)
RENYI = {"sigma": "median", "alpha": 1.01}
#: Every family at one parameter value: (name, parameter).
EVERY_FAMILY = (("renyi", None), ("binning", 10), ("kde", 0.1), ("knn", 3))


# --------------------------------------------------------------------------------------------
# Independent references (NumPy/SciPy), written from the papers' definitions
# --------------------------------------------------------------------------------------------


def rows(a):
    a = np.asarray(a, np.float64)
    return a.reshape(len(a), -1)


def upper_median(a):
    """The median pairwise distance of the rows of a (the upper middle one for an even count),
    the largest distance when that is 0, 1 when every distance is 0."""
    off = pdist(rows(a))
    middle = np.quantile(off, 0.5, method="higher")
    return middle if middle > 0 else (off.max() if off.max() > 0 else 1.0)


def ref_ksg(a, b, k):
    """KSG estimator 1 (Kraskov et al. 2004, eq. 8), Euclidean marginals in units of their
    median distance, joint distance the larger marginal one, counts strictly within ε_i."""
    a, b = rows(a) / upper_median(a), rows(b) / upper_median(b)
    n = len(a)
    joint = np.maximum(cdist(a, a), cdist(b, b))
    np.fill_diagonal(joint, np.inf)
    eps = np.sort(joint, axis=1)[:, k - 1]
    below = np.nextafter(eps, 0.0)  # query_ball_point counts ≤ r: "< ε" is "≤ the float below ε"
    n_a = cKDTree(a).query_ball_point(a, below, return_length=True) - 1  # minus the sample itself
    n_b = cKDTree(b).query_ball_point(b, below, return_length=True) - 1
    return (digamma(k) + digamma(n) - np.mean(digamma(n_a + 1) + digamma(n_b + 1))) / LN2


def ref_ross(t, labels, k):
    """Ross (2014), eq. 2, with singleton classes dropped entirely (as scikit-learn's
    ``mutual_info_classif`` does): N, the neighbour counts m_i and the averages all run over
    the samples of classes with two or more members."""
    t, labels = rows(t), np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    size = counts[np.searchsorted(classes, labels)]
    kept = size > 1
    t, labels, size = t[kept], labels[kept], size[kept]
    dist = cdist(t, t)
    np.fill_diagonal(dist, np.inf)
    k_i = np.minimum(k, size - 1)
    within = np.where(labels[:, None] == labels[None, :], dist, np.inf)
    radius = np.sort(within, axis=1)[np.arange(len(t)), k_i - 1]
    m_i = np.sum(dist <= radius[:, None], axis=1)  # the k-th neighbour included, not itself
    value = digamma(len(t)) - np.mean(digamma(size)) + np.mean(digamma(k_i))
    return (value - np.mean(digamma(m_i))) / LN2


def ref_kl_entropy(t, k):
    """Kozachenko–Leonenko: ψ(n) − ψ(k) + log V_d + d ⟨log ε_i⟩, Euclidean, in bits."""
    t = rows(t)
    n, d = t.shape
    eps = cKDTree(t).query(t, k + 1)[0][:, -1]
    log_volume = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1.0)
    return (digamma(n) - digamma(k) + log_volume + d * np.mean(np.log(eps))) / LN2


def ref_pairwise(t, variance, c, groups=None):
    """−(1/n) Σ_i log2 mean_{j ~ i} exp(−‖t_i − t_j‖² / (c s²)) (Kolchinsky & Tracey 2017)."""
    logits = -cdist(rows(t), rows(t), "sqeuclidean") / (c * variance)
    if groups is None:
        return -np.mean(logsumexp(logits, axis=1) - math.log(len(logits))) / LN2
    groups = np.asarray(groups)
    log_means = [
        logsumexp(logits[i, groups == g]) - math.log(np.sum(groups == g))
        for i, g in enumerate(groups)
    ]
    return -np.mean(log_means) / LN2


def ref_noise_entropy(d, variance):
    return 0.5 * d * math.log2(2 * math.pi * math.e * variance)


def ref_bin_codes(t, bins, low=None, high=None):
    t = rows(t)
    low = t.min() if low is None else low
    high = t.max() if high is None else high
    edges = np.linspace(low, high, bins + 1)[1:-1]  # the B - 1 inner edges
    return np.digitize(t, edges), (high - low) / bins


def ref_plugin(*codes):
    joint = np.concatenate([np.asarray(c).reshape(len(c), -1) for c in codes], axis=1)
    _, counts = np.unique(joint, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def ref_binned_mi(a, b):
    return ref_plugin(a) + ref_plugin(b) - ref_plugin(a, b)


def ref_renyi_entropy(k, alpha):
    lam = np.clip(np.linalg.eigvalsh(k / np.trace(k)), 0.0, None)
    return float(np.log2(np.sum(lam**alpha)) / (1.0 - alpha))


def ref_median_gram(a):
    """Gaussian Gram matrix at the median pairwise distance (mean of the two middle ones)."""
    d2 = cdist(rows(a), rows(a), "sqeuclidean")
    sigma = np.median(pdist(rows(a)))
    return np.exp(-d2 / (2.0 * sigma**2)), sigma


def gaussian_pair(n, d, rho, seed):
    """X, Y (n, d), coordinate pairs with correlation ρ: I(X;Y) = −d/2 · log2(1 − ρ²)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    return x, rho * x + math.sqrt(1.0 - rho**2) * rng.standard_normal((n, d))


def gaussian_mi(d, rho):
    return -0.5 * d * math.log2(1.0 - rho**2)


def probe(n=120, seed=0):
    """A probe x (n, 6), labels (n,) of 4 classes, two layers and an output (a network's
    forward pass: every layer a function of x)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    labels = rng.integers(0, 4, n)
    h = np.tanh(x @ rng.normal(size=(6, 5)) + 0.5 * labels[:, None])
    code = h @ rng.normal(size=(5, 3))
    return x, labels, {"h": h, "code": code}, code @ rng.normal(size=(3, 6))


def point(name, parameter, layers, output, x, labels=None, **options):
    return family_point(name, parameter, layers, output, x, labels, renyi=RENYI, **options)


def assert_points_equal(a, b, atol, keys=POINT_KEYS):
    for key in keys:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=atol, err_msg=key)
    if "lower" in a:
        assert_points_equal(a["lower"], b["lower"], atol, keys)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


def test_registry_lists_the_five_families_with_their_parameters():
    assert list(FAMILIES) == ["renyi", "binning", "binwidth", "kde", "knn"]
    assert FAMILIES["binwidth"].parameter == "bin_width" and FAMILIES["binwidth"].default == 0.07
    specs = family_specs(("binning", "knn", "renyi"), {"bins": (10, 30, 10), "k": None})
    assert [(f.name, v) for f, v in specs] == [
        ("binning", 10),
        ("binning", 30),
        ("knn", 3),
        ("renyi", None),
    ]
    assert FAMILIES["kde"].lower_bound and not FAMILIES["knn"].lower_bound


# --------------------------------------------------------------------------------------------
# 1. kNN (KSG 1) on correlated Gaussians
# --------------------------------------------------------------------------------------------


KSG_PROBLEMS = [(200, 1, 0.5, 3, 0), (300, 2, 0.9, 5, 1), (500, 3, 0.0, 3, 2), (257, 5, 0.7, 1, 3)]


@pytest.mark.parametrize("n, d, rho, k, seed", KSG_PROBLEMS)
def test_ksg_equals_brute_force_reference(n, d, rho, k, seed):
    x, y = gaussian_pair(n, d, rho, seed)
    value = float(knn.ksg_information(knn.distances(x), knn.distances(y), k))
    assert value == pytest.approx(ref_ksg(x, y, k), abs=1e-9)
    # Each marginal in its own units: scaling one variable changes nothing (the reference too).
    assert ref_ksg(x, 100.0 * y, k) == pytest.approx(value, abs=1e-9)


# Measured over 30 seeds (100..129) at n = 1000, k = 3: mean bias / sd / largest |error|, bits:
#   d=1: ρ=0 +0.015/0.034/0.086, ρ=0.5 +0.016/0.046/0.118, ρ=0.9 +0.027/0.055/0.146;
#   d=2: ρ=0 0.000/0.020/0.049,  ρ=0.5 +0.004/0.041/0.102, ρ=0.9 −0.037/0.055/0.161;
#   d=5: ρ=0 +0.011/0.033/0.095.
# 0.25 bits is ~4.5 sd of the widest spread: the estimator is unbiased here to within noise.
# d = 5 with ρ > 0 is left out of this tolerance: KSG's known bias towards 0 is large there
# (mean −0.25 bits at ρ = 0.5, −1.96 at ρ = 0.9, over 5 seeds; scipy max-norm KSG gives about
# the same, 0.74 and 3.82 bits for truths 1.04 and 5.99) and is tested as a sign below.
KSG_TOLERANCE = 0.25


@pytest.mark.parametrize("d, rho", [(1, 0.0), (1, 0.5), (1, 0.9), (2, 0.0), (2, 0.5), (2, 0.9),
                                    (5, 0.0)])  # fmt: skip
def test_ksg_recovers_the_gaussian_information(d, rho):
    x, y = gaussian_pair(1000, d, rho, seed=10 * d + int(10 * rho))
    value = float(knn.ksg_information(knn.distances(x), knn.distances(y), 3))
    assert value == pytest.approx(gaussian_mi(d, rho), abs=KSG_TOLERANCE)


@pytest.mark.parametrize("d, rho", [(5, 0.5), (5, 0.9), (20, 0.99)])
def test_ksg_is_biased_below_the_truth_for_strong_dependence_in_many_dimensions(d, rho):
    # Known small-n bias of KSG (Gao, Ver Steeg & Galstyan 2015): an estimate cannot exceed about
    # ψ(n) − ψ(k) and the local-uniformity assumption fails for strong dependence. Measured at
    # n = 1000: d=5 ρ=0.5 mean 0.78 (truth 1.04), d=5 ρ=0.9 4.03 (5.99), d=20 ρ=0.99 7.32 (56.5).
    x, y = gaussian_pair(1000, d, rho, seed=d)
    value = float(knn.ksg_information(knn.distances(x), knn.distances(y), 3))
    bias = value - gaussian_mi(d, rho)
    assert bias < 0
    assert value > 0  # strongly dependent: still clearly positive, only too small
    assert value <= (digamma(1000) - digamma(3)) / LN2 + 1e-9


# --------------------------------------------------------------------------------------------
# 2. kNN for a discrete label (Ross 2014)
# --------------------------------------------------------------------------------------------


# The last: classes of 4 samples with k = 5, so k_i = n_y − 1 = 3.
ROSS_PROBLEMS = [(200, 1, 3, 4, 0), (300, 3, 5, 3, 1), (250, 2, 1, 5, 2), (60, 2, 7, 6, 3),
                 (40, 2, 5, 10, 4)]  # fmt: skip


@pytest.mark.parametrize("n, d, k, classes, seed", ROSS_PROBLEMS)
def test_ross_equals_reference(n, d, k, classes, seed):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n // classes)  # every class of two or more
    t = rng.normal(size=(len(labels), d)) + 0.7 * labels[:, None]
    value = float(knn.mixed_information(knn.distances(t), labels, k))
    assert value == pytest.approx(ref_ross(t, labels, k), abs=1e-9)


def test_ross_of_a_label_function_is_the_label_entropy_and_of_independent_labels_zero():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 100)
    t = labels + 1e-3 * rng.normal(size=400)  # four separated clusters: Y = f(T), H(Y) = 2
    # Each sample's k-th class neighbour is closer than every other class: m_i = k and the
    # estimate is ψ(400) − ψ(100) exactly, 2.0054 bits (Ross's bias at n_y = 100 is +0.005).
    deterministic = float(knn.mixed_information(knn.distances(t[:, None]), labels, 3))
    assert deterministic == pytest.approx((digamma(400) - digamma(100)) / LN2, abs=1e-9)
    assert deterministic == pytest.approx(2.0, abs=0.01)
    # Independent labels: over 60 seeds mean −0.006, sd 0.044, range [−0.10, +0.14] bits
    # (−0.012 here); 0.2 bits is ~4.5 sd.
    independent = float(knn.mixed_information(knn.distances(rng.normal(size=400)),
                                              rng.permutation(labels), 3))  # fmt: skip
    assert independent == pytest.approx(0.0, abs=0.2)


def test_ross_drops_singleton_classes_entirely():
    # Two classes of 50 at T = 0 and T = 1, and 20 samples of classes of one sample each, at
    # T = 0. Leaving the singletons out gives I(T;Y) of the two classes, ≈ 1 bit.
    rng = np.random.default_rng(1)
    labels = np.concatenate([np.repeat([0, 1], 50), np.arange(10, 30)])
    t = np.where(labels == 1, 1.0, 0.0) + 1e-3 * rng.normal(size=120)
    value = float(knn.mixed_information(knn.distances(t[:, None]), labels, 3))
    assert ref_ross(t, labels, 3) == pytest.approx(1.0, abs=0.05)
    assert value == pytest.approx(ref_ross(t, labels, 3), abs=1e-9)


def test_kozachenko_leonenko_equals_reference_and_the_gaussian_entropy():
    rng = np.random.default_rng(0)
    for d, k in ((1, 3), (3, 1), (4, 5)):
        t = 2.0 * rng.normal(size=(1000, d))
        value = float(knn.kl_entropy(knn.distances(t), k, d))
        assert value == pytest.approx(ref_kl_entropy(t, k), abs=1e-9)
        # H(N(0, 4 I_d)) = d/2 log2(2πe·4). Over 20 seeds at n = 1000, bias / sd / largest
        # |error|: (d, k) = (1, 3) −0.015/0.053/0.14, (3, 1) −0.007/0.085/0.15, (4, 5)
        # −0.090/0.052/0.18 bits; 0.35 is the bias plus 4 sd of the widest.
        assert value == pytest.approx(0.5 * d * math.log2(2 * math.pi * math.e * 4.0), abs=0.35)


def test_knn_family_point_equals_references():
    x, labels, layers, output = probe(n=150, seed=3)
    p = point("knn", 4, layers, output, x, labels)
    for i, t in enumerate(layers.values()):
        assert p["i_xt"][i] == pytest.approx(ref_ksg(x, t, 4), abs=1e-9)
        assert p["i_t_out"][i] == pytest.approx(ref_ksg(t, output, 4), abs=1e-9)
        assert p["i_t_label"][i] == pytest.approx(ref_ross(t, labels, 4), abs=1e-9)
        assert p["h_t"][i] == pytest.approx(ref_kl_entropy(t, 4), abs=1e-9)
        kth = cKDTree(t).query(t, 5)[0][:, -1]
        assert p["sigma"][i] == pytest.approx(np.median(kth), rel=1e-9)


# --------------------------------------------------------------------------------------------
# 3. KDE pairwise-distance bounds
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variance", (0.01, 0.1, 1.0))
@pytest.mark.parametrize("bound, c", [("upper", 2.0), ("lower", 8.0)])
def test_pairwise_term_equals_reference(bound, c, variance):
    rng = np.random.default_rng(0)
    t = rng.normal(size=(150, 4)) + 3.0  # not centred: distances do not depend on the mean
    groups = rng.integers(0, 3, 150)
    d2 = kde.pairwise_distances(t)
    np.testing.assert_allclose(d2, cdist(t, t, "sqeuclidean"), rtol=1e-10, atol=1e-10)
    assert float(kde.pairwise_term(d2, variance, bound)) == pytest.approx(
        ref_pairwise(t, variance, c), abs=1e-9
    )
    assert float(kde.pairwise_term(d2, variance, bound, groups)) == pytest.approx(
        ref_pairwise(t, variance, c, groups), abs=1e-9
    )
    assert kde.noise_entropy(4, variance) == pytest.approx(ref_noise_entropy(4, variance))


def mixture_information_mc(t, variance, samples, rng):
    """I(X;T̃) of the empirical mixture (1/n) Σ N(t_i, s² I) by Monte Carlo: H(T̃) − H(noise),
    with its standard error, in bits."""
    n, d = t.shape
    z = t[rng.integers(0, n, samples)] + math.sqrt(variance) * rng.normal(size=(samples, d))
    log_p = (
        logsumexp(-cdist(z, t, "sqeuclidean") / (2 * variance), axis=1)
        - math.log(n) - 0.5 * d * math.log(2 * math.pi * variance)
    )  # fmt: skip
    entropy = -np.mean(log_p) / LN2
    return entropy - ref_noise_entropy(d, variance), np.std(log_p) / math.sqrt(samples) / LN2


# The analytic I = d/2 log2(1 + v/s²) is that of the population N(0, v I) + noise; the bounds
# are on the entropy of the mixture of the n = 2000 samples, which differs from the population
# by sampling noise. Measured over 10 seeds: the bounds' sd ≤ 0.024 bits, and the truth lies
# inside [lower, upper] with at least 0.19 bits to spare (d=1, v/s²=1: lower 0.30, upper 0.86,
# truth 0.50; d=2, v/s²=10: lower 2.84, upper 4.75, truth 3.46). 0.05 bits ≈ 2 sd of the bounds.
KDE_TOLERANCE = 0.05


@pytest.mark.parametrize("d, v, variance", [(1, 1.0, 1.0), (1, 1.0, 0.1), (2, 4.0, 1.0),
                                            (2, 1.0, 0.1)])  # fmt: skip
def test_kde_bounds_enclose_the_gaussian_channel(d, v, variance):
    rng = np.random.default_rng(d)
    t = math.sqrt(v) * rng.normal(size=(2000, d))
    p = family_point("kde", variance, {"T": t}, t, t)
    upper, lower = p["i_xt"][0], p["lower"]["i_xt"][0]
    truth = 0.5 * d * math.log2(1.0 + v / variance)
    assert lower <= upper
    assert lower - KDE_TOLERANCE <= truth <= upper + KDE_TOLERANCE
    # The bounds' own claim, on the mixture they describe: its entropy (by Monte Carlo, 4 sd).
    mixture, error = mixture_information_mc(t, variance, 2000, rng)
    assert lower - 4 * error <= mixture <= upper + 4 * error


def test_kde_lower_bound_is_below_the_upper_bound_for_every_quantity():
    # Term by term exp(−D/8s²) ≥ exp(−D/2s²): the lower I(X;T̃) ≤ the upper one always. For
    # I(T;Y) (a difference of two bounds) it is not a theorem; a search over 3000 random
    # problems and a hill-climb over small ones found no counterexample beyond rounding.
    for seed in range(6):
        x, labels, layers, output = probe(n=80, seed=seed)
        for variance in (0.01, 0.1, 1.0):
            p = family_point("kde", variance, layers, output, x, labels)
            for key in ("i_xt", "h_t", "i_t_label"):
                assert np.all(p["lower"][key] <= p[key] + 1e-12), (seed, variance, key)


def test_kde_family_point_equals_references():
    x, labels, layers, output = probe(n=100, seed=4)
    variance = 0.3
    p = family_point("kde", variance, layers, output, x, labels)
    for which, c in (("upper", 2.0), ("lower", 8.0)):
        q = p if which == "upper" else p["lower"]
        for i, t in enumerate(layers.values()):
            term = ref_pairwise(t, variance, c)
            joint = np.hstack([t, output])
            assert q["i_xt"][i] == pytest.approx(term, abs=1e-9)
            assert q["h_t"][i] == pytest.approx(ref_noise_entropy(t.shape[1], variance) + term)
            assert q["i_t_out"][i] == pytest.approx(
                term + ref_pairwise(output, variance, c) - ref_pairwise(joint, variance, c),
                abs=1e-9,
            )
            assert q["i_t_label"][i] == pytest.approx(
                term - ref_pairwise(t, variance, c, labels), abs=1e-9
            )
            assert q["sigma"][i] == pytest.approx(math.sqrt(variance))


# --------------------------------------------------------------------------------------------
# 4. Binning
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", (3, 4, 5, 6))
def test_equiprobable_codes_give_k_bits(k):
    rng = np.random.default_rng(k)
    codes = rng.permutation(np.repeat(np.arange(2**k), 7))
    assert float(binning.plugin_entropy(codes)) == pytest.approx(k, abs=1e-12)
    # The same as two columns (the code's high and low bits): joint codes are rows.
    pair = np.stack([codes >> 1, codes & 1], axis=1)
    assert float(binning.plugin_entropy(pair)) == pytest.approx(k, abs=1e-12)
    assert float(binning.plugin_entropy(codes >> 1, codes & 1)) == pytest.approx(k, abs=1e-12)


def test_plugin_entropy_and_bin_codes_equal_references():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = rng.integers(0, 3, size=(200, 3))
        b = rng.integers(-2, 2, size=(200,))
        assert float(binning.plugin_entropy(a)) == pytest.approx(ref_plugin(a), abs=1e-12)
        assert float(binning.plugin_entropy(a, b)) == pytest.approx(ref_plugin(a, b), abs=1e-12)
        assert float(binning.binned_information(a, b)) == pytest.approx(
            ref_binned_mi(a, b), abs=1e-12
        )
    t = rng.normal(size=(300, 4))
    for bins, low, high in ((7, None, None), (30, None, None), (10, -1.0, 1.0)):
        codes, width = binning.bin_codes(t, bins, low, high)
        expected, expected_width = ref_bin_codes(t, bins, low, high)
        np.testing.assert_array_equal(codes, expected)
        assert float(width) == pytest.approx(expected_width)
        assert codes.numpy().min() >= 0 and codes.numpy().max() == bins - 1


def test_binning_information_of_a_deterministic_layer_is_its_entropy():
    x, labels, layers, output = probe(n=150, seed=5)
    p = point("binning", 12, layers, output, x, labels)
    for i, t in enumerate(layers.values()):
        codes, _ = ref_bin_codes(t, 12)
        out_codes, _ = ref_bin_codes(output, 12)
        # Distinct inputs: H(T|X) = 0 and I(X;T) = H(T) (to rounding: 1e-15 seen).
        assert p["i_xt"][i] == pytest.approx(p["h_t"][i], abs=1e-12)
        assert p["h_t"][i] == pytest.approx(ref_plugin(codes), abs=1e-12)
        assert p["i_t_out"][i] == pytest.approx(ref_binned_mi(codes, out_codes), abs=1e-12)
        assert p["i_t_label"][i] == pytest.approx(ref_binned_mi(codes, labels), abs=1e-12)
        assert p["sigma"][i] == pytest.approx(np.ptp(t) / 12)
    # Repeated inputs: X has fewer values than samples and I(X;T) < H(T) is possible.
    x_repeated = np.repeat(x[:50], 3, axis=0)
    t = np.random.default_rng(0).normal(size=(150, 2))  # noise: not a function of X
    p = point("binning", 4, {"T": t}, output, x_repeated)
    codes, _ = ref_bin_codes(t, 4)
    identity = np.unique(x_repeated, axis=0, return_inverse=True)[1].reshape(-1, 1)
    assert p["i_xt"][0] == pytest.approx(ref_binned_mi(identity, codes), abs=1e-12)
    assert p["i_xt"][0] < p["h_t"][0] - 0.1


def test_binning_range_follows_the_activation():
    x, labels, layers, output = probe(n=100, seed=6)
    s = 1.0 / (1.0 + np.exp(-layers["code"]))
    p = point("binning", 10, {"h": layers["h"], "s": s}, output, x, labels,
              activations={"s": "sigmoid"})  # fmt: skip
    assert p["range"] == {"h": "observed", "s": "activation", "output": "observed"}
    assert p["sigma"][0] == pytest.approx(np.ptp(layers["h"]) / 10)
    assert p["sigma"][1] == pytest.approx(0.1)  # (0, 1) in 10 bins, not the observed range
    codes, _ = ref_bin_codes(s, 10, 0.0, 1.0)
    assert p["h_t"][1] == pytest.approx(ref_plugin(codes), abs=1e-12)
    assert ref_plugin(codes) != pytest.approx(ref_plugin(ref_bin_codes(s, 10)[0]))


def test_fixed_width_bins_equal_a_floor_reference_and_grow_with_the_scale():
    x, labels, layers, output = probe(n=200, seed=8)
    relu = {name: np.maximum(t, 0.0) for name, t in layers.items()}
    p = point("binwidth", 0.07, relu, output, x, labels)
    out_codes = np.floor(output.reshape(len(output), -1) / 0.07).astype(np.int64)
    for i, t in enumerate(relu.values()):
        codes = np.floor(t.reshape(len(t), -1) / 0.07).astype(np.int64)  # Saxe et al.'s code
        assert p["h_t"][i] == pytest.approx(ref_plugin(codes), abs=1e-12)
        assert p["i_xt"][i] == pytest.approx(p["h_t"][i], abs=1e-12)
        assert p["i_t_out"][i] == pytest.approx(ref_binned_mi(codes, out_codes), abs=1e-12)
        assert p["i_t_label"][i] == pytest.approx(ref_binned_mi(codes, labels), abs=1e-12)
        assert p["sigma"][i] == pytest.approx(0.07)
    assert set(p["range"].values()) == {"unbounded"}
    # Unlike B bins over the observed range, a layer that shrinks falls into fewer bins.
    small = {"T": 0.05 * relu["code"]}
    assert point("binwidth", 0.07, small, output, x)["h_t"][0] < p["h_t"][-1] - 1.0
    ranged = point("binning", 30, small, output, x)["h_t"][0]
    assert ranged == pytest.approx(point("binning", 30, {"T": relu["code"]}, output, x)["h_t"][0])
    with pytest.raises(ValueError, match="bin_width"):
        point("binwidth", -0.1, relu, output, x)


# --------------------------------------------------------------------------------------------
# Matrix-Rényi through family_point
# --------------------------------------------------------------------------------------------


def test_renyi_family_point_equals_reference():
    x, labels, layers, output = probe(n=120, seed=7)
    p = point("renyi", None, layers, output, x, labels)
    kx, _ = ref_median_gram(x)
    ko, _ = ref_median_gram(output)
    ky = (labels[:, None] == labels[None, :]).astype(float)
    h = lambda k: ref_renyi_entropy(k, 1.01)  # noqa: E731
    for i, t in enumerate(layers.values()):
        kt, sigma = ref_median_gram(t)
        assert p["h_t"][i] == pytest.approx(h(kt), abs=1e-8)
        assert p["i_xt"][i] == pytest.approx(h(kx) + h(kt) - h(kx * kt), abs=1e-8)
        assert p["i_t_out"][i] == pytest.approx(h(kt) + h(ko) - h(kt * ko), abs=1e-8)
        assert p["i_t_label"][i] == pytest.approx(h(kt) + h(ky) - h(kt * ky), abs=1e-8)
        assert p["sigma"][i] == pytest.approx(sigma, rel=1e-9)


# --------------------------------------------------------------------------------------------
# 5. Properties every family shares (or does not)
# --------------------------------------------------------------------------------------------


def test_information_of_x_with_itself():
    x = probe(n=120, seed=8)[0]
    # Binning: T = X, H(T|X) = 0: I(X;X) = H(X binned).
    p = point("binning", 6, {"x": x}, x, x)
    h = ref_plugin(ref_bin_codes(x, 6)[0])
    assert p["i_xt"][0] == pytest.approx(h, abs=1e-12)
    assert p["h_t"][0] == pytest.approx(h, abs=1e-12)
    # KDE: I(X;X̃) is the pairwise term, H(X̃) minus the noise's entropy.
    p = point("kde", 0.1, {"x": x}, x, x)
    for q in (p, p["lower"]):
        assert q["i_xt"][0] == pytest.approx(q["h_t"][0] - kde.noise_entropy(6, 0.1), abs=1e-9)
    assert p["i_xt"][0] == pytest.approx(ref_pairwise(x, 0.1, 2.0), abs=1e-9)
    # kNN: both marginals' k nearest are the joint's, n_a = n_b = k − 1: ψ(n) − ψ(k) exactly.
    for k in (1, 3, 7):
        p = point("knn", k, {"x": x}, x, x)
        assert p["i_xt"][0] == pytest.approx((digamma(120) - digamma(k)) / LN2, abs=1e-9)
    # Renyi: generic data, K∘K is the Gram at σ/√2, not K: I(X;X) < S(X), only ≤ holds.
    p = point("renyi", None, {"x": x}, x, x)
    assert p["i_xt"][0] <= p["h_t"][0] + 1e-6
    assert p["i_xt"][0] < p["h_t"][0] - 0.5  # measured 1.23 bits, S(X) = 2.47


@pytest.mark.parametrize("sizes", [(10, 10, 10, 10), (5, 10, 15, 10), (20, 4, 4, 12)])
def test_renyi_information_of_x_with_itself_on_separated_clusters(sizes):
    # Duplicated points, clusters 1 apart with σ = 0.01: K is 0/1 block-diagonal, K∘K = K, and
    # I(X;X) = S(X) = the Rényi-α entropy of the cluster proportions (log2 4 for equal ones).
    centers = np.arange(4.0)[:, None] * np.ones((1, 3))
    x = np.repeat(centers, sizes, axis=0)
    p = family_point("renyi", None, {"x": x}, x, x, renyi={"sigma": 0.01, "gamma": 1.0,
                                                            "alpha": 1.01})  # fmt: skip
    q = np.array(sizes) / sum(sizes)
    expected = math.log2(np.sum(q**1.01)) / (1 - 1.01)
    assert p["h_t"][0] == pytest.approx(expected, abs=1e-9)
    assert p["i_xt"][0] == pytest.approx(expected, abs=1e-9)
    if len(set(sizes)) == 1:
        assert expected == pytest.approx(2.0, abs=1e-12)


@pytest.mark.parametrize("name, parameter", [f for f in EVERY_FAMILY if f[0] != "knn"])
def test_information_is_nonnegative_where_it_must_be(name, parameter):
    # Plug-in MI is a KL divergence; the KDE term a mean of −log2(mean of numbers ≤ 1), at most
    # log2 n; matrix-Rényi MI is subadditive (Giraldo et al. 2015, Prop. 4.1). Independent X,
    # T, output and labels: the cases where an estimate could dip below 0.
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x, output = rng.normal(size=(120, 6)), rng.normal(size=(120, 6))
        layers = {"a": rng.normal(size=(120, 5)), "b": rng.random(size=(120, 3))}
        p = point(name, parameter, layers, output, x, rng.integers(0, 4, 120))
        # KDE's I(T;X') and I(T;Y) are differences of bounds, with no such guarantee.
        keys = ("i_xt",) if name == "kde" else ("i_xt", "i_t_out", "i_t_label")
        for q in (p, p.get("lower", p)):
            for key in keys:
                assert np.all(q[key] >= -1e-9), (seed, key, q[key])
            assert np.all(q["i_xt"] <= math.log2(120) + 1e-9)


def test_a_negative_knn_estimate_is_returned_as_it_is():
    # Independent X and T: KSG scatters around 0 (seeds 0..7: +0.064, −0.091, −0.027, −0.043,
    # −0.094, −0.045, −0.046, +0.036 bits); seed 1 gives −0.091.
    rng = np.random.default_rng(1)
    x, t, output = rng.normal(size=(200, 3)), rng.normal(size=(200, 2)), rng.normal(size=(200, 3))
    p = point("knn", 3, {"t": t}, output, x)
    assert p["i_xt"][0] < -0.05
    assert p["i_xt"][0] == pytest.approx(ref_ksg(x, t, 3), abs=1e-9)


def permuted(x, labels, layers, output, rows_order, columns):
    layers = {name: t[rows_order][:, columns[name]] for name, t in layers.items()}
    return layers, output[rows_order], x[rows_order], labels[rows_order]


@pytest.mark.parametrize("name, parameter", EVERY_FAMILY)
def test_invariant_to_the_order_of_samples_and_units(name, parameter):
    x, labels, layers, output = probe(n=120, seed=9)
    rng = np.random.default_rng(1)
    base = point(name, parameter, layers, output, x, labels)
    same_columns = {layer: np.arange(t.shape[1]) for layer, t in layers.items()}
    shuffled_columns = {layer: rng.permutation(t.shape[1]) for layer, t in layers.items()}
    assert any(np.any(c != np.arange(len(c))) for c in shuffled_columns.values())
    for order, columns in ((rng.permutation(120), same_columns),
                           (np.arange(120), shuffled_columns),
                           (rng.permutation(120), shuffled_columns)):  # fmt: skip
        other = point(name, parameter, *permuted(x, labels, layers, output, order, columns))
        # Binning counts the same codes; only the order of a sum over them changes (≤ 1e-15).
        assert_points_equal(base, other, atol=1e-12 if name == "binning" else 1e-9)


@pytest.mark.parametrize("c", (0.5, 2.0, 10.0))
def test_scaling_a_layer(c):
    x, labels, layers, output = probe(n=120, seed=10)
    scaled = {name: c * t for name, t in layers.items()}
    dims = np.array([t.shape[1] for t in layers.values()])
    invariant = ("i_xt", "i_t_out", "i_t_label")
    # kNN: every marginal in units of its median distance; KL entropy shifts by d log2 c.
    a, b = point("knn", 3, layers, output, x, labels), point("knn", 3, scaled, output, x, labels)
    assert_points_equal(a, b, atol=1e-6, keys=invariant)
    np.testing.assert_allclose(b["h_t"] - a["h_t"], dims * math.log2(c), atol=1e-9)
    np.testing.assert_allclose(b["sigma"], c * a["sigma"], rtol=1e-9)
    # Renyi, median rule: the width scales with the layer.
    a, b = (
        point("renyi", None, layers, output, x, labels),
        point("renyi", None, scaled, output, x, labels),
    )
    assert_points_equal(a, b, atol=1e-6, keys=(*invariant, "h_t"))
    np.testing.assert_allclose(b["sigma"], c * a["sigma"], rtol=1e-9)
    # Binning, observed range: the range scales with the layer, the codes do not change.
    a, b = (
        point("binning", 10, layers, output, x, labels),
        point("binning", 10, scaled, output, x, labels),
    )
    assert_points_equal(a, b, atol=0.0, keys=(*invariant, "h_t"))
    np.testing.assert_allclose(b["sigma"], c * a["sigma"], rtol=1e-12)
    # Binning, a sigmoid's fixed (0, 1): scaling moves samples between bins (or out of range).
    s = {"s": 1.0 / (1.0 + np.exp(-layers["code"]))}
    bounded = {"activations": {"s": "sigmoid"}}
    a = point("binning", 10, s, output, x, labels, **bounded)
    b = point("binning", 10, {"s": c * s["s"]}, output, x, labels, **bounded)
    assert abs(b["h_t"][0] - a["h_t"][0]) > 0.1
    assert b["sigma"][0] == a["sigma"][0] == pytest.approx(0.1)
    # KDE: s² is fixed, so scaling T (and X') by c is dividing s by c.
    variance = 0.1
    a = point("kde", variance, layers, output, x, labels)
    b = point("kde", variance, scaled, c * output, x, labels)
    equivalent = point("kde", variance / c**2, layers, output, x, labels)
    assert np.all(np.abs(b["i_xt"] - a["i_xt"]) > 0.05)
    assert_points_equal(b, equivalent, atol=1e-9, keys=invariant)
    np.testing.assert_allclose(b["h_t"] - equivalent["h_t"], dims * math.log2(c), atol=1e-9)


# --------------------------------------------------------------------------------------------
# 6. Finite answers on degenerate input
# --------------------------------------------------------------------------------------------


def degenerate(case):
    rng = np.random.default_rng(0)
    n = 5 if case == "tiny" else 40
    x, output = rng.normal(size=(n, 6)), rng.normal(size=(n, 6))
    t = rng.normal(size=(n, 4))
    labels = rng.integers(0, 3, n)
    if case == "constant layer":
        t = np.full((n, 4), 0.3)
    elif case == "one row everywhere":
        x, t, output = (np.tile(a[:1], (n, 1)) for a in (x, t, output))
        labels = np.zeros(n, int)
    elif case == "one distinct row":
        t = np.tile(t[:1], (n, 1))
        t[-1] += 1.0
    elif case == "huge":
        x, t, output = 1e30 * x, 1e30 * t, 1e30 * output
    return {"t": t, "u": t[:, :2]}, output, x, labels


@pytest.mark.parametrize("case", ("constant layer", "one row everywhere", "one distinct row",
                                  "tiny", "huge"))  # fmt: skip
@pytest.mark.parametrize("name, parameter", EVERY_FAMILY)
def test_no_nan_on_finite_input(name, parameter, case):
    layers, output, x, labels = degenerate(case)
    p = point(name, parameter, layers, output, x, labels)
    for q in (p, p.get("lower", p)):
        for key in POINT_KEYS:
            assert q[key].shape == (2,)
            assert np.all(np.isfinite(q[key])), (key, q[key])
    if case == "constant layer" and name != "knn":
        # A constant T carries nothing (the plug-in, KDE and Rényi estimates are 0 exactly);
        # kNN's KSG with every distance 0 has no such guarantee.
        np.testing.assert_allclose(p["i_xt"], 0.0, atol=1e-9)
