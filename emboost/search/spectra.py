"""From raw power spectra to the grand unified spectrum (RADES eqs. 5-9, physics.md §3.2).

Input (:class:`RawSpectra`): ``power`` (n_spectra, n_bins) [any linear power unit; a memory-mapped array
is read block by block], ``timestamp`` (n_spectra,) [s], ``lo_frequency`` (n_spectra,) [Hz] taking exactly
two values, ``magnet_on`` (n_spectra,) bool, ``if_frequency`` (n_bins,) [Hz] uniformly spaced bin centres.
The physical frequency of bin j of a spectrum is ``lo + sideband * if_j``.

The chain, per magnet state (on/off) and LO:

1. ``R_ij = P_ij / <P^(other LO)>_j``: each spectrum divided by the mean spectrum of the other LO in
   the same magnet state (removes the IF-dependent electronic gain; eq. 5);
2. ``N_ij = R_ij / SG1(<R>)_j``: divided by the first Savitzky-Golay filter (``sg1_length`` points,
   degree ``sg1_degree``) of the mean of R (eq. 6);
3. ``delta_ij = N_ij / SG2(N_i)_j - 1``: the second filter (``sg2_length``, ``sg2_degree``) on each
   spectrum (eq. 7), unitless, ~Normal(0, 1/sqrt(bin_width t));
4. IF bins aligned to the physical frequency grid (the two LOs must differ by a whole number of bins);
5. the grand unified spectrum: the weighted mean over spectra per physical bin with the sample
   variance of that mean (eqs. 8-9), corrected for the noise the spectra share through the means
   they are divided by (see :func:`grand_unified_spectrum`);
6. magnet-off subtraction ``delta = delta_on - delta_off``, ``sigma^2 = sigma_on^2 + sigma_off^2``.

Everything streams: two passes over ``power`` in blocks of ``block`` rows (means, then the rest), with
running sums, so a memory-mapped file larger than memory is fine.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> n, m = 40, 300
>>> raw = RawSpectra(power=1 + 1e-3 * rng.standard_normal((n, m)), timestamp=np.arange(n) * 90.0,
...                  lo_frequency=np.where(np.arange(n) % 2 == 0, 8.0e9, 8.0e9 + 10 * 4577.0),
...                  magnet_on=np.arange(n) < 30, if_frequency=140e6 + 4577.0 * (np.arange(m) - m / 2))
>>> gus = grand_unified_spectrum(raw, FilterSettings(sg2_length=51))
>>> gus.combined.delta.shape == gus.combined.frequency.shape
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import savgol_filter

from emboost.core.errors import InputError

__all__ = ["RawSpectra", "FilterSettings", "Injection", "GrandSpectrum", "SearchSpectra", "lo_means",
           "normalise_spectra", "grand_unified_spectrum", "subtract_spectra"]


@dataclass(frozen=True)
class RawSpectra:
    """Raw spectra (see module docstring); ``integration_time`` [s] of one spectrum (for the radiometer
    check), ``source`` a label (file name) used in messages."""

    power: np.ndarray
    timestamp: np.ndarray
    lo_frequency: np.ndarray
    magnet_on: np.ndarray
    if_frequency: np.ndarray
    integration_time: float | None = None
    source: str = "spectra"

    def __post_init__(self) -> None:
        p = self.power
        if getattr(p, "ndim", 0) != 2:
            raise InputError(f"{self.source}: 'power' must be 2-D (n_spectra, n_bins), got shape "
                             f"{getattr(p, 'shape', None)}", key="power")
        n, m = p.shape
        for name in ("timestamp", "lo_frequency", "magnet_on"):
            if np.shape(getattr(self, name)) != (n,):
                raise InputError(f"{self.source}: '{name}' must have shape ({n},), got {np.shape(getattr(self, name))}",
                                 key=name)
        if np.shape(self.if_frequency) != (m,):
            raise InputError(f"{self.source}: 'if_frequency' must have shape ({m},), got "
                             f"{np.shape(self.if_frequency)}", key="if_frequency")
        if m < 3:
            raise InputError(f"{self.source}: need at least 3 bins, got {m}", key="power")
        d = np.diff(np.asarray(self.if_frequency, dtype=float))
        if not (np.all(d > 0) and np.allclose(d, d[0], rtol=1e-6, atol=0)):
            raise InputError(f"{self.source}: 'if_frequency' must be increasing and uniformly spaced",
                             key="if_frequency")
        los = np.unique(np.asarray(self.lo_frequency, dtype=float))
        if los.size != 2:
            raise InputError(f"{self.source}: the chain needs spectra at exactly two LO frequencies, got "
                             f"{los.size} ({list(los[:5])})", key="lo_frequency")

    @property
    def n_spectra(self) -> int:
        return int(self.power.shape[0])

    @property
    def n_bins(self) -> int:
        return int(self.power.shape[1])

    @property
    def bin_width(self) -> float:
        """IF bin spacing [Hz]."""
        f = np.asarray(self.if_frequency, dtype=float)
        return float((f[-1] - f[0]) / (f.size - 1))

    @property
    def los(self) -> np.ndarray:
        """The two LO frequencies [Hz], sorted."""
        return np.unique(np.asarray(self.lo_frequency, dtype=float))


@dataclass(frozen=True)
class FilterSettings:
    """Parameters of the chain up to the grand unified spectrum (lengths in bins, odd)."""

    sg1_length: int = 15
    sg1_degree: int = 3
    sg2_length: int = 109
    sg2_degree: int = 3
    sideband: int = 1
    block: int = 512

    def __post_init__(self) -> None:
        for ln, dg, name in ((self.sg1_length, self.sg1_degree, "sg1"), (self.sg2_length, self.sg2_degree, "sg2")):
            if ln < 3 or ln % 2 == 0:
                raise InputError(f"{name}_length must be an odd number >= 3, got {ln}", key=f"{name}_length")
            if not 0 <= dg < ln:
                raise InputError(f"{name}_degree must be in [0, {name}_length), got {dg}", key=f"{name}_degree")
        if self.sideband not in (1, -1):
            raise InputError(f"sideband must be +1 or -1, got {self.sideband}", key="sideband")
        if self.block < 1:
            raise InputError(f"block must be >= 1, got {self.block}", key="block")


@dataclass(frozen=True)
class Injection:
    """A software axion signal added to every magnet-on spectrum: fractional excess ``amplitude * K``
    (K the bin fractions, summing to 1) starting at ``frequency`` [Hz] (physical)."""

    frequency: float
    amplitude: float
    fractions: np.ndarray


@dataclass(frozen=True)
class GrandSpectrum:
    """A grand unified spectrum on the physical grid: ``frequency`` (n,) bin centres [Hz], ``delta`` (n,)
    fractional excess, ``sigma`` (n,) its standard error (NaN where fewer than two spectra), ``count``
    (n,) spectra per bin, ``bin_width`` [Hz]."""

    frequency: np.ndarray
    delta: np.ndarray
    sigma: np.ndarray
    count: np.ndarray
    bin_width: float

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.delta) & np.isfinite(self.sigma) & (self.sigma > 0)

    @property
    def normalised(self) -> np.ndarray:
        """``delta / sigma`` (NaN outside :attr:`valid`)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.valid, self.delta / self.sigma, np.nan)


@dataclass(frozen=True)
class SearchSpectra:
    """Magnet-on, magnet-off and subtracted (``combined``) grand unified spectra, plus the means
    and the sum of squared per-spectrum residuals used for the radiometer check."""

    on: GrandSpectrum
    off: GrandSpectrum
    combined: GrandSpectrum
    per_spectrum_sigma: float


@dataclass(frozen=True)
class LOMeans:
    """Mean raw spectrum per (LO index, magnet state): ``mean`` (2, 2, n_bins), ``count`` (2, 2)
    (state index 0 = off, 1 = on)."""

    los: np.ndarray
    mean: np.ndarray
    count: np.ndarray


def _blocks(n: int, block: int) -> range:
    return range(0, n, block)


def _lo_index(raw: RawSpectra, rows: slice) -> np.ndarray:
    return (np.asarray(raw.lo_frequency[rows], dtype=float) > raw.los[0] + 0.5 * (raw.los[1] - raw.los[0])).astype(int)


def _signal_block(raw: RawSpectra, rows: slice, lo_idx: np.ndarray, on: np.ndarray, inj: Injection | None,
                  sideband: int) -> np.ndarray | None:
    """Fractional software signal (block, n_bins) for the magnet-on rows, or None."""
    if inj is None:
        return None
    bw = raw.bin_width
    out = np.zeros((lo_idx.size, raw.n_bins))
    f_if = np.asarray(raw.if_frequency, dtype=float)
    k = np.asarray(inj.fractions, dtype=float)
    for li in (0, 1):
        f = raw.los[li] + sideband * f_if
        lower = f - 0.5 * bw
        j0 = int(np.argmin(np.abs(lower - inj.frequency))) if sideband == 1 else None
        s = np.zeros(raw.n_bins)
        if sideband == 1:
            assert j0 is not None
            n = min(k.size, raw.n_bins - j0)
            s[j0:j0 + n] = k[:n]
        else:
            upper = f + 0.5 * bw
            j1 = int(np.argmin(np.abs(upper[::-1] - inj.frequency)))
            n = min(k.size, raw.n_bins - j1)
            s[::-1][j1:j1 + n] = k[:n]
        sel = (lo_idx == li) & on
        out[sel] = inj.amplitude * s
    return out


def lo_means(raw: RawSpectra, block: int = 512, injection: Injection | None = None,
             sideband: int = 1) -> LOMeans:
    """First pass: the mean raw spectrum of each LO and magnet state (with the software signal, if any)."""
    acc = np.zeros((2, 2, raw.n_bins))
    cnt = np.zeros((2, 2))
    for i in _blocks(raw.n_spectra, block):
        rows = slice(i, min(i + block, raw.n_spectra))
        p = np.asarray(raw.power[rows], dtype=float)
        li = _lo_index(raw, rows)
        on = np.asarray(raw.magnet_on[rows], dtype=bool)
        sig = _signal_block(raw, rows, li, on, injection, sideband)
        if sig is not None:
            p = p * (1 + sig)
        for lo in (0, 1):
            for st in (0, 1):
                sel = (li == lo) & (on == bool(st))
                if np.any(sel):
                    acc[lo, st] += p[sel].sum(axis=0)
                    cnt[lo, st] += sel.sum()
    for lo in (0, 1):
        for st in (0, 1):
            if cnt[lo, st] == 0:
                state = "on" if st else "off"
                raise InputError(f"{raw.source}: no magnet-{state} spectra at LO {raw.los[lo]:.9g} Hz",
                                 key="magnet_on")
    return LOMeans(raw.los, acc / cnt[:, :, None], cnt)


def normalise_spectra(power: np.ndarray, lo_idx: np.ndarray, state: np.ndarray, means: LOMeans,
                      settings: FilterSettings) -> np.ndarray:
    """Steps 1-3 for one block: ``power`` (nb, n_bins) -> ``delta`` (nb, n_bins), unitless."""
    p = np.asarray(power, dtype=float)
    other = means.mean[1 - lo_idx, state]  # (nb, n_bins)
    r = p / other
    mean_r = means.mean[:, :, :] / means.mean[::-1, :, :]  # <R> per (lo, state) = <P_lo>/<P_other>
    sg1 = savgol_filter(mean_r, settings.sg1_length, settings.sg1_degree, axis=-1)
    n = r / sg1[lo_idx, state]
    return n / savgol_filter(n, settings.sg2_length, settings.sg2_degree, axis=-1) - 1.0


def _grid(raw: RawSpectra, sideband: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Physical grid (bin centres) and the grid index of IF bin 0 for each LO; sideband -1 reverses."""
    bw = raw.bin_width
    f_if = np.asarray(raw.if_frequency, dtype=float)
    starts = []
    for lo in raw.los:
        f = lo + sideband * f_if
        starts.append(float(np.min(f)))
    f_min = min(starts)
    offs = (np.array(starts) - f_min) / bw
    if np.any(np.abs(offs - np.round(offs)) > 1e-3):
        raise InputError(f"{raw.source}: the two LO frequencies differ by {raw.los[1] - raw.los[0]:.6g} Hz, not a "
                         f"whole number of {bw:.6g} Hz bins; the bins cannot be aligned", key="lo_frequency")
    offs_i = np.round(offs).astype(int)
    n = int(offs_i.max()) + raw.n_bins
    return f_min + bw * np.arange(n), offs_i, bw


@lru_cache(maxsize=8)
def _filter_gains(n_bins: int, sg1: tuple[int, int], sg2: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row norms^2 of ``(1 - SG2)(1 - SG1)`` and of ``(1 - SG2)`` on ``n_bins`` bins (white-noise gains)."""
    eye = np.eye(n_bins)
    m1 = eye - savgol_filter(eye, sg1[0], sg1[1], axis=0)
    p = m1 - savgol_filter(m1, sg2[0], sg2[1], axis=0)
    m2 = eye - savgol_filter(eye, sg2[0], sg2[1], axis=0)
    return np.sum(p**2, axis=1), np.sum(m2**2, axis=1)


def grand_unified_spectrum(raw: RawSpectra, settings: FilterSettings | None = None,
                           weights: np.ndarray | None = None, injection: Injection | None = None) -> SearchSpectra:
    """The whole chain from raw spectra to the magnet-off-subtracted grand unified spectrum.

    ``weights`` (n_spectra,) per-spectrum weights (default equal, as for equal integration times;
    use 1/variance otherwise). ``injection`` adds a software signal to every magnet-on spectrum before
    anything else (to measure the filters' efficiency end to end).

    Errors: the sample variance of the mean over the spectra of one LO (eq. 9) misses the noise the
    spectra share -- that of the other LO's mean they are divided by and of their own mean the first
    filter follows. To first order the mean of group g (one LO, one magnet state) is
    ``(1 - SG2)(1 - SG1)(e_g - e_o)`` with ``e`` the mean noise of g and of the other LO ``o``; so its
    variance is ``c1/c2 (V_g + V_o)``, ``V`` the eq.-9 sample variances, ``c1`` and ``c2`` the white-noise
    gains of ``(1 - SG2)(1 - SG1)`` and ``(1 - SG2)`` at each bin. The two LOs' group means are then
    combined per physical bin with inverse-variance weights.
    """
    s = settings or FilterSettings()
    if s.sg2_length > raw.n_bins or s.sg1_length > raw.n_bins:
        raise InputError(f"{raw.source}: the filter lengths ({s.sg1_length}, {s.sg2_length}) exceed the "
                         f"{raw.n_bins} bins of a spectrum", key="sg2_length")
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (raw.n_spectra,) or np.any(~np.isfinite(weights)) or np.any(weights < 0):
            raise InputError(f"weights must be {raw.n_spectra} finite non-negative numbers", key="weights")
    means = lo_means(raw, s.block, injection, s.sideband)
    freq, offs, bw = _grid(raw, s.sideband)
    m = raw.n_bins
    # running sums per (lo, state) on the IF grid: sum w, sum w d, sum w^2, sum w^2 d, sum w^2 d^2, count
    acc = np.zeros((2, 2, 6, m))
    ss, cnt_all = 0.0, 0
    interior = slice(s.sg2_length // 2, m - s.sg2_length // 2)
    for i in _blocks(raw.n_spectra, s.block):
        rows = slice(i, min(i + s.block, raw.n_spectra))
        p = np.asarray(raw.power[rows], dtype=float)
        li = _lo_index(raw, rows)
        on = np.asarray(raw.magnet_on[rows], dtype=bool)
        sig = _signal_block(raw, rows, li, on, injection, s.sideband)
        if sig is not None:
            p = p * (1 + sig)
        d = normalise_spectra(p, li, on.astype(int), means, s)
        ss += float(np.sum(d[:, interior] ** 2))
        cnt_all += d[:, interior].size
        w = np.ones(d.shape[0]) if weights is None else weights[rows]
        for lo in (0, 1):
            for st in (0, 1):
                sel = (li == lo) & (on == bool(st))
                if not np.any(sel):
                    continue
                ds, ws = d[sel], w[sel][:, None]
                a = acc[lo, st]
                a[0] += ws.sum()
                a[1] += (ws * ds).sum(axis=0)
                a[2] += (ws**2).sum()
                a[3] += (ws**2 * ds).sum(axis=0)
                a[4] += (ws**2 * ds**2).sum(axis=0)
                a[5] += sel.sum()
    s0, s1, t0, t1, t2, c = (acc[:, :, k] for k in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / s0
        v_sample = (t2 - 2 * mean * t1 + mean**2 * t0) / s0**2 * c / (c - 1)
    c1, c2 = _filter_gains(m, (s.sg1_length, s.sg1_degree), (s.sg2_length, s.sg2_degree))
    var = (c1 / c2) * (v_sample + v_sample[::-1])  # (lo, state, bin): own + the other LO's
    var = np.where(c > 1, np.clip(var, 0, None), np.inf)
    n = freq.size
    spectra = []
    for st in (1, 0):
        num, inv, cnt = np.zeros(n), np.zeros(n), np.zeros(n)
        for lo in (0, 1):
            mu, v = mean[lo, st], var[lo, st]
            if s.sideband == -1:
                mu, v = mu[::-1], v[::-1]
            cols = slice(offs[lo], offs[lo] + m)
            with np.errstate(divide="ignore"):
                wv = np.where(v > 0, 1 / v, 0.0)
            num[cols] += np.nan_to_num(mu) * wv
            inv[cols] += wv
            cnt[cols] += c[lo, st] * (wv > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = np.where(inv > 0, num / inv, np.nan)
            sigma = np.where(inv > 0, 1 / np.sqrt(inv), np.nan)
        spectra.append(GrandSpectrum(freq, delta, sigma, cnt.astype(int), bw))
    on_s, off_s = spectra
    return SearchSpectra(on_s, off_s, subtract_spectra(on_s, off_s),
                         float(np.sqrt(ss / cnt_all)) if cnt_all else float("nan"))


def subtract_spectra(on: GrandSpectrum, off: GrandSpectrum) -> GrandSpectrum:
    """Magnet-off subtraction on a common grid: ``delta_on - delta_off``, errors in quadrature."""
    if on.frequency.shape != off.frequency.shape or not np.allclose(on.frequency, off.frequency, rtol=0,
                                                                     atol=1e-6 * on.bin_width):
        raise InputError("magnet-on and magnet-off spectra are on different frequency grids")
    return GrandSpectrum(on.frequency, on.delta - off.delta, np.sqrt(on.sigma**2 + off.sigma**2),
                         np.minimum(on.count, off.count), on.bin_width)
