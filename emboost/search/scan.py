"""Axion search on a grand unified spectrum: lineshape, windowed fit, significance, limits (RADES eqs. 10-15).

* :func:`filtered_lineshape`: the SHM bin fractions K_j (:func:`emboost.core.axion.shm_bin_fractions`)
  and their shape after the two Savitzky-Golay filters, measured by passing a software signal through
  them: for a small signal the chain is linear, ``L' = (1 - SG2)(1 - SG1) K`` (SG1 acts on the mean
  spectrum, which carries the signal of every magnet-on spectrum; SG2 on each spectrum). The filter
  efficiency is ``eta = sum L' K / sum K^2`` (the fraction of the amplitude a fit with the undistorted
  shape would recover); fitting with L' itself carries the efficiency into the limit.
* :func:`scan_spectrum`: the amplitude fit of ``delta_k = A L'_k`` over ``n`` adjacent bins (eq. 12),
  stepped bin by bin; A is the total axion power in units of one bin's noise power.
* :func:`significance`: local z of each window and the global one with the look-elsewhere correction
  ``p_global = 1 - (1 - p_local)^N_eff``; N_eff from simulated white-noise spectra (the median of the
  maximum local z over the simulations) or, without them, the number of windows (conservative).
* :func:`upper_limits`: Bayesian upper limit per window with a flat prior on A >= 0 (eqs. 13-15),
  :func:`expected_limits`: median and 1/2 sigma bands from simulated white-noise spectra with the same
  per-bin sigma; :func:`coupling_limits`: g_agamma from A with the cavity's beta, Q_L, C, V, B and T_sys.

>>> fl = filtered_lineshape(8.384e9, 4577.0)
>>> fl.template.size, 0.5 < fl.efficiency < 1.0
(14, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special
from scipy.ndimage import correlate1d
from scipy.signal import savgol_filter

from emboost.core.axion import V_LAB_DEFAULT, V_RMS_SHM, shm_bin_fractions, sikivie_power
from emboost.core.constants import k_B
from emboost.core.errors import InputError
from emboost.search.spectra import GrandSpectrum

__all__ = ["bayesian_upper_limit", "Lineshape", "filtered_lineshape", "Scan", "scan_spectrum", "scan_spectrum_loop",
           "Significance", "significance", "upper_limits", "ExpectedLimits", "expected_limits", "CavityParameters",
           "coupling_limits", "Candidate", "candidates"]

PRIORS = ("flat",)


def bayesian_upper_limit(a_hat: np.ndarray, sigma_a: np.ndarray, cl: float = 0.95) -> np.ndarray:
    """Upper limit on A for a Gaussian likelihood and a flat prior on A >= 0 (RADES eqs. 13-15):
    ``A_UL = A_hat + sqrt(2) sigma erfinv(1 - (1 - cl)(1 + erf(A_hat/(sqrt(2) sigma))))``.

    (The same closed form as :func:`emboost.fit.rades.bayesian_upper_limit`, which this layer may
    not import.)

    >>> [round(float(x), 4) for x in bayesian_upper_limit(np.array([0.0, 1.0, -1.0]), np.ones(3))]
    [1.96, 2.7272, 1.412]
    """
    a = np.asarray(a_hat, dtype=float)
    s = np.asarray(sigma_a, dtype=float)
    e = special.erf(a / (np.sqrt(2) * s))
    return np.asarray(a + np.sqrt(2) * s * special.erfinv(1 - (1 - cl) * (1 + e)))


@dataclass(frozen=True)
class Lineshape:
    """SHM bin fractions ``fractions`` (n,), the filtered template ``template`` (n,), the efficiency
    ``eta = sum L'K/sum K^2`` and the fraction of the axion power inside the n bins, ``contained``."""

    fractions: np.ndarray
    template: np.ndarray
    efficiency: float
    contained: float
    offset: float


def filtered_lineshape(f_a: float, bin_width: float, n_bins: int = 14, *, offset: float = 0.0,
                       sg1_length: int = 15, sg1_degree: int = 3, sg2_length: int = 109, sg2_degree: int = 3,
                       v_lab: float = V_LAB_DEFAULT, v_rms: float = V_RMS_SHM) -> Lineshape:
    """The axion template over ``n_bins`` bins [width ``bin_width`` Hz], f_a ``offset`` Hz above the
    lower edge of the first bin, before and after the two filters (software injection, see module)."""
    if n_bins < 1 or not bin_width > 0:
        raise InputError(f"need n_bins >= 1 and bin_width > 0, got {n_bins}, {bin_width}")
    k = shm_bin_fractions(f_a, bin_width, n_bins, offset=offset, v_lab=v_lab, v_rms=v_rms)
    pad = sg1_length + sg2_length + n_bins
    s = np.zeros(2 * pad + n_bins)
    s[pad:pad + n_bins] = k
    g = s - savgol_filter(s, sg1_length, sg1_degree)
    d = g - savgol_filter(g, sg2_length, sg2_degree)
    t = d[pad:pad + n_bins]
    return Lineshape(k, t, float(np.dot(t, k) / np.dot(k, k)), float(k.sum()), offset)


@dataclass(frozen=True)
class Scan:
    """Windowed fit: ``frequency`` (nw,) the axion frequency of each window (lower edge of its first bin
    plus the template offset) [Hz], ``amplitude`` and ``sigma`` (nw,) of A, ``z = amplitude/sigma``;
    ``start`` (nw,) index of the first bin of each window in the spectrum. NaN where a window holds an
    invalid bin."""

    frequency: np.ndarray
    amplitude: np.ndarray
    sigma: np.ndarray
    start: np.ndarray

    @property
    def z(self) -> np.ndarray:
        return self.amplitude / self.sigma


def _window_sums(delta: np.ndarray, sigma: np.ndarray, template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_k d_k L_k / s_k^2`` and ``sum_k L_k^2 / s_k^2`` of every window (last axis of delta)."""
    m = template.size
    w = 1.0 / sigma**2
    # correlate1d centres the kernel: shift so that output j sums bins j .. j+m-1
    origin = -(m // 2)
    num = correlate1d(delta * w, template, axis=-1, mode="constant", origin=origin)
    den = correlate1d(np.broadcast_to(w, delta.shape[-1:]), template**2, mode="constant", origin=origin)
    nw = delta.shape[-1] - m + 1
    return num[..., :nw], den[:nw]


def scan_spectrum(gus: GrandSpectrum, template: np.ndarray, offset: float = 0.0) -> Scan:
    """Fit ``A`` in every window of ``template.size`` adjacent bins (vectorised; see :func:`scan_spectrum_loop`)."""
    t = np.asarray(template, dtype=float)
    m = t.size
    n = gus.delta.size
    if m > n:
        raise InputError(f"fit window of {m} bins is longer than the spectrum ({n} bins)")
    valid = gus.valid
    d = np.where(valid, gus.delta, 0.0)
    s = np.where(valid, gus.sigma, 1.0)
    num, den = _window_sums(d, s, t)
    bad = sliding_window_view(~valid, m).any(axis=1)
    a = np.where(bad, np.nan, num / den)
    sa = np.where(bad, np.nan, 1 / np.sqrt(den))
    start = np.arange(n - m + 1)
    f = gus.frequency[start] - 0.5 * gus.bin_width + offset
    return Scan(f, a, sa, start)


def scan_spectrum_loop(gus: GrandSpectrum, template: np.ndarray, offset: float = 0.0) -> Scan:
    """The same fit as :func:`scan_spectrum` with a plain loop over windows (reference for tests and
    benchmarks)."""
    t = np.asarray(template, dtype=float)
    m = t.size
    n = gus.delta.size
    a = np.full(n - m + 1, np.nan)
    sa = np.full(n - m + 1, np.nan)
    for j in range(n - m + 1):
        d, s = gus.delta[j:j + m], gus.sigma[j:j + m]
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(s)) and np.all(s > 0)):
            continue
        den = 0.0
        num = 0.0
        for k in range(m):
            den += t[k] ** 2 / s[k] ** 2
            num += d[k] * t[k] / s[k] ** 2
        a[j], sa[j] = num / den, 1 / np.sqrt(den)
    start = np.arange(n - m + 1)
    return Scan(gus.frequency[start] - 0.5 * gus.bin_width + offset, a, sa, start)


@dataclass(frozen=True)
class Significance:
    """Local z and p of every window (one-sided), the largest excess and its global significance."""

    local_z: np.ndarray
    local_p: np.ndarray
    max_index: int
    max_z: float
    global_p: float
    global_z: float
    n_eff: float


def _n_eff(sim_max_z: np.ndarray | None, n_windows: int) -> float:
    if sim_max_z is None or np.asarray(sim_max_z).size == 0:
        return float(n_windows)
    z_med = float(np.median(sim_max_z))
    p = special.ndtr(-z_med)
    return float(np.log(0.5) / np.log1p(-p))


def significance(scan: Scan, sim_max_z: np.ndarray | None = None) -> Significance:
    """Local and global significance (look-elsewhere: ``1 - (1 - p)^N_eff``)."""
    z = scan.z
    ok = np.isfinite(z)
    if not np.any(ok):
        raise InputError("no valid fit window in the spectrum")
    zz = np.where(ok, z, -np.inf)
    i = int(np.argmax(zz))
    p_loc = special.ndtr(-z)
    n_eff = _n_eff(sim_max_z, int(ok.sum()))
    p_glob = float(-np.expm1(n_eff * np.log1p(-special.ndtr(-zz[i]))))
    return Significance(z, p_loc, i, float(zz[i]), p_glob, float(-special.ndtri(p_glob)), n_eff)


def upper_limits(scan: Scan, cl: float = 0.95, prior: str = "flat") -> np.ndarray:
    """Bayesian upper limit on A per window, credibility ``cl``; prior ``"flat"`` on A >= 0 (eqs. 13-15)."""
    if prior not in PRIORS:
        raise InputError(f"prior must be one of {list(PRIORS)}, got {prior!r}", key="prior")
    if not 0 < cl < 1:
        raise InputError(f"credibility level must be in (0, 1), got {cl}", key="credibility")
    return np.asarray(bayesian_upper_limit(scan.amplitude, scan.sigma, cl))


@dataclass(frozen=True)
class ExpectedLimits:
    """Expected upper limit on A per window from ``n_sim`` white-noise spectra: ``median`` and the
    bands ``band_1sigma`` (2, nw) and ``band_2sigma`` (2, nw) (15.9/84.1 and 2.3/97.7 percentiles);
    ``sim_max_z`` (n_sim,) the largest local z of each simulation (for the look-elsewhere effect)."""

    median: np.ndarray
    band_1sigma: np.ndarray
    band_2sigma: np.ndarray
    sim_max_z: np.ndarray
    n_sim: int


def expected_limits(gus: GrandSpectrum, template: np.ndarray, n_sim: int = 1000, seed: int = 0,
                    cl: float = 0.95, prior: str = "flat", chunk: int = 200) -> ExpectedLimits:
    """Simulate ``n_sim`` white-noise grand spectra with the per-bin sigma of ``gus``, fit and limit each."""
    if n_sim < 2:
        raise InputError(f"need at least 2 simulated spectra, got {n_sim}", key="n_sim")
    if prior not in PRIORS:
        raise InputError(f"prior must be one of {list(PRIORS)}, got {prior!r}", key="prior")
    t = np.asarray(template, dtype=float)
    m = t.size
    valid = gus.valid
    s = np.where(valid, gus.sigma, 1.0)
    nw = gus.delta.size - m + 1
    bad = sliding_window_view(~valid, m).any(axis=1)
    _, den = _window_sums(np.zeros_like(s), s, t)
    sa = 1 / np.sqrt(den)
    rng = np.random.default_rng(seed)
    uls = np.empty((n_sim, nw))
    maxz = np.empty(n_sim)
    for i in range(0, n_sim, chunk):
        k = min(chunk, n_sim - i)
        d = rng.standard_normal((k, s.size)) * s
        num, _ = _window_sums(d, s, t)
        a = num / den
        z = np.where(bad, -np.inf, a / sa)
        maxz[i:i + k] = z.max(axis=1)
        uls[i:i + k] = bayesian_upper_limit(a, sa, cl)
    q = np.percentile(uls, [2.275, 15.866, 50.0, 84.134, 97.725], axis=0)
    q[:, bad] = np.nan
    return ExpectedLimits(q[2], q[[1, 3]], q[[0, 4]], maxz, n_sim)


@dataclass(frozen=True)
class CavityParameters:
    """What converts a power limit to a coupling: resonance ``f0`` [Hz], loaded Q ``q_loaded``, port
    coupling ``beta``, form factor ``form_factor``, volume [m^3], field ``b_field`` [T], system noise
    temperature ``t_sys`` [K], dark-matter density ``rho`` [J/m^3]."""

    f0: float
    q_loaded: float
    beta: float
    form_factor: float
    volume: float
    b_field: float
    t_sys: float
    rho: float

    def __post_init__(self) -> None:
        for name in ("f0", "q_loaded", "beta", "form_factor", "volume", "b_field", "t_sys", "rho"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"cavity parameter {name} must be positive, got {v!r}", key=name)

    def power_per_g2(self, f: np.ndarray) -> np.ndarray:
        """Signal power per g^2 [W J^2] at axion frequency ``f``, with the cavity's Lorentzian response."""
        f = np.asarray(f, dtype=float)
        lor = 1.0 / (1.0 + 4 * self.q_loaded**2 * (f / self.f0 - 1) ** 2)
        return np.asarray(sikivie_power(1.0, self.rho, self.b_field, self.volume, self.form_factor,
                                        self.q_loaded, self.beta, f)) * lor


def coupling_limits(frequency: np.ndarray, a_limit: np.ndarray, cavity: CavityParameters,
                    bin_width: float) -> np.ndarray:
    """``g_UL = sqrt(A_UL k_B T_sys dnu_b / (P/g^2))`` [1/J] per window (multiply by GeV for GeV^-1)."""
    p_ul = np.asarray(a_limit, dtype=float) * k_B * cavity.t_sys * bin_width
    return np.sqrt(p_ul / cavity.power_per_g2(frequency))


@dataclass(frozen=True)
class Candidate:
    """A window whose local significance exceeds the threshold."""

    frequency: float
    amplitude: float
    sigma: float
    local_z: float
    global_p: float


def candidates(scan: Scan, sig: Significance, threshold: float = 3.0) -> tuple[Candidate, ...]:
    """Windows with local z above ``threshold``, strongest first (neighbours of a stronger one merged:
    only local maxima of z are kept)."""
    z = np.where(np.isfinite(scan.z), scan.z, -np.inf)
    peak = np.zeros(z.size, dtype=bool)
    if z.size:
        left = np.concatenate([[-np.inf], z[:-1]])
        right = np.concatenate([z[1:], [-np.inf]])
        peak = (z > threshold) & (z >= left) & (z >= right)
    out = []
    for i in np.nonzero(peak)[0]:
        pg = float(-np.expm1(sig.n_eff * np.log1p(-special.ndtr(-z[i]))))
        out.append(Candidate(float(scan.frequency[i]), float(scan.amplitude[i]), float(scan.sigma[i]),
                             float(z[i]), pg))
    return tuple(sorted(out, key=lambda c: -c.local_z))
