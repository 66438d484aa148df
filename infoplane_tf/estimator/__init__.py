"""The matrix-based Rényi α-order entropy estimator, in TensorFlow.

The estimator of Giraldo, Rao & Príncipe (2015), as used by Lee & Jo (2021) for the information
plane of autoencoders. For ``n`` samples of a variable (the rows of a matrix; inputs of any rank
are flattened per sample, the tensor-kernel view), the Gaussian Gram matrix
``K_ij = exp(-||x_i - x_j||² / (2σ²))`` is normalized to unit trace, ``A = K / tr(K)``, and

    S_α(A) = 1 / (1 - α) · log2(Σ_i λ_i(A)^α)          [bits, 0 ≤ S ≤ log2 n]

with the exact von Neumann limit ``-Σ λ log2 λ`` at α = 1. The joint entropy uses the
trace-normalized Hadamard product ``A_X ∘ A_T``, and ``I(X;T) = S(X) + S(T) - S(X,T)``. Class
labels use the Kronecker-delta kernel ``K_ij = [y_i = y_j]``, so S(Y) is exactly the Rényi
entropy of the empirical class distribution.

Modules: ``kernels`` (Gram matrices and width rules), ``spectra`` (entropies from spectra),
``renyi`` (the scalar functions, float64 by default), ``plane`` (whole information-plane points,
float32 by default: its accuracy against float64 is measured in ``benchmarks/estimator.py``),
``checks`` (argument checks). Negative eigenvalues from rounding are clamped to 0 and the
spectrum renormalized, so no finite input gives a NaN.

References:
    L. G. Sanchez Giraldo, M. Rao, J. C. Príncipe, "Measures of Entropy From Data Using
    Infinitely Divisible Kernels", IEEE Trans. Inf. Theory 61(1), 2015.
    S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    A. Tapia, P. Estévez, "On the Information Plane of Autoencoders", IJCNN 2020.
"""

from infoplane_tf.catalog import PAPER
from infoplane_tf.estimator.checks import (
    as_samples,
    check_alpha,
    check_dtype,
    check_gamma,
    check_same_samples,
    check_samples_shape,
    check_sigma,
)
from infoplane_tf.estimator.kernels import (
    center_and_scale,
    flatten_samples,
    gaussian_gram,
    label_gram,
    median_distance,
    normalize_kernels,
    squared_distances,
    standardize_features,
)
from infoplane_tf.estimator.plane import (
    Forward,
    InformationPlane,
    PointFunction,
    PointLayout,
    ProbeKernels,
    activations_forward,
    point_matrices,
)
from infoplane_tf.estimator.renyi import renyi_entropy, renyi_mutual_information
from infoplane_tf.estimator.spectra import (
    eigvalsh_one_at_a_time,
    entropy_of_kernels,
    spectral_entropy,
)
from infoplane_tf.width_rules import SIGMA_RULES

#: The paper's α and γ (kept under their old names; ``catalog.PAPER`` is the source).
PAPER_ALPHA = PAPER.alpha
PAPER_GAMMA = PAPER.gamma

__all__ = [
    "PAPER_ALPHA",
    "PAPER_GAMMA",
    "SIGMA_RULES",
    "Forward",
    "InformationPlane",
    "PointFunction",
    "PointLayout",
    "ProbeKernels",
    "activations_forward",
    "as_samples",
    "center_and_scale",
    "check_alpha",
    "check_dtype",
    "check_gamma",
    "check_same_samples",
    "check_samples_shape",
    "check_sigma",
    "eigvalsh_one_at_a_time",
    "entropy_of_kernels",
    "flatten_samples",
    "gaussian_gram",
    "label_gram",
    "median_distance",
    "normalize_kernels",
    "point_matrices",
    "renyi_entropy",
    "renyi_mutual_information",
    "spectral_entropy",
    "squared_distances",
    "standardize_features",
]
