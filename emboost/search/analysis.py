"""The whole search in one call: raw spectra -> grand unified spectrum -> scan -> significance -> limits.

:func:`run_search` chains :mod:`emboost.search.spectra` and :mod:`emboost.search.scan` with every
parameter in one frozen :class:`SearchSettings`; it returns a frozen :class:`SearchResult` and writes
nothing. The fit is restricted to ``window`` (physical frequencies [Hz], default: every bin covered
by both magnet states).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emboost.core.axion import V_LAB_DEFAULT, V_RMS_SHM
from emboost.core.errors import InputError
from emboost.search.scan import (
    Candidate,
    CavityParameters,
    ExpectedLimits,
    Lineshape,
    Scan,
    Significance,
    candidates,
    coupling_limits,
    expected_limits,
    filtered_lineshape,
    scan_spectrum,
    significance,
    upper_limits,
)
from emboost.search.spectra import (
    FilterSettings,
    GrandSpectrum,
    Injection,
    RawSpectra,
    SearchSpectra,
    grand_unified_spectrum,
)

__all__ = ["SearchSettings", "SearchResult", "run_search", "injection_efficiency", "restrict"]


@dataclass(frozen=True)
class SearchSettings:
    """Every parameter of the chain (defaults: CAST-RADES 2018)."""

    filters: FilterSettings = field(default_factory=FilterSettings)
    fit_bins: int = 14
    template_offset: float = 0.0
    v_lab: float = V_LAB_DEFAULT
    v_rms: float = V_RMS_SHM
    credibility: float = 0.95
    prior: str = "flat"
    n_sim: int = 1000
    seed: int = 0
    candidate_threshold: float = 3.0
    window: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.fit_bins < 1:
            raise InputError(f"fit_bins must be >= 1, got {self.fit_bins}", key="fit_bins")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise InputError(f"window must be (low, high) with low < high, got {self.window}", key="window")


@dataclass(frozen=True)
class SearchResult:
    """Everything the search produced (SI; g in 1/J)."""

    spectra: SearchSpectra
    gus: GrandSpectrum
    lineshape: Lineshape
    scan: Scan
    significance: Significance
    limit_a: np.ndarray
    expected: ExpectedLimits
    candidates: tuple[Candidate, ...]
    limit_g: np.ndarray | None
    expected_g: np.ndarray | None
    band_1sigma_g: np.ndarray | None
    band_2sigma_g: np.ndarray | None
    settings: SearchSettings


def restrict(gus: GrandSpectrum, window: tuple[float, float] | None) -> GrandSpectrum:
    """The bins of ``gus`` inside ``window`` [Hz] (all valid bins if None)."""
    if window is None:
        ok = np.nonzero(gus.valid)[0]
        if ok.size == 0:
            raise InputError("the grand unified spectrum has no valid bin")
        sel = slice(int(ok[0]), int(ok[-1]) + 1)
    else:
        idx = np.nonzero((gus.frequency >= window[0]) & (gus.frequency <= window[1]))[0]
        if idx.size == 0:
            raise InputError(f"no bin of the spectrum inside the window {window}", key="window")
        sel = slice(int(idx[0]), int(idx[-1]) + 1)
    return GrandSpectrum(gus.frequency[sel], gus.delta[sel], gus.sigma[sel], gus.count[sel], gus.bin_width)


def _lineshape(s: SearchSettings, f: float, bw: float) -> Lineshape:
    fl = s.filters
    return filtered_lineshape(f, bw, s.fit_bins, offset=s.template_offset, sg1_length=fl.sg1_length,
                              sg1_degree=fl.sg1_degree, sg2_length=fl.sg2_length, sg2_degree=fl.sg2_degree,
                              v_lab=s.v_lab, v_rms=s.v_rms)


def run_search(raw: RawSpectra, settings: SearchSettings | None = None, cavity: CavityParameters | None = None,
               weights: np.ndarray | None = None) -> SearchResult:
    """Run the chain (module docstring). Without ``cavity`` the limits stay in A (no g)."""
    s = settings or SearchSettings()
    spectra = grand_unified_spectrum(raw, s.filters, weights)
    gus = restrict(spectra.combined, s.window)
    if gus.delta.size < s.fit_bins:
        raise InputError(f"the analysed spectrum has {gus.delta.size} bins, fewer than the fit window "
                         f"({s.fit_bins})", key="window")
    shape = _lineshape(s, float(np.nanmean(gus.frequency)), gus.bin_width)
    sc = scan_spectrum(gus, shape.template, s.template_offset)
    exp = expected_limits(gus, shape.template, s.n_sim, s.seed, s.credibility, s.prior)
    sig = significance(sc, exp.sim_max_z)
    lim = upper_limits(sc, s.credibility, s.prior)
    cands = candidates(sc, sig, s.candidate_threshold)
    g = eg = b1 = b2 = None
    if cavity is not None:
        def conv(a: np.ndarray) -> np.ndarray:
            return coupling_limits(sc.frequency, a, cavity, gus.bin_width)
        g, eg = conv(lim), conv(exp.median)
        b1 = np.stack([conv(exp.band_1sigma[0]), conv(exp.band_1sigma[1])])
        b2 = np.stack([conv(exp.band_2sigma[0]), conv(exp.band_2sigma[1])])
    return SearchResult(spectra, gus, shape, sc, sig, lim, exp, cands, g, eg, b1, b2, s)


@dataclass(frozen=True)
class InjectionResult:
    """End-to-end filter efficiency: amplitude recovered (fit with the undistorted SHM shape) over the
    injected one, and the linear-filter prediction ``lineshape.efficiency``."""

    frequency: float
    injected: float
    recovered: float
    efficiency: float
    predicted: float


def injection_efficiency(raw: RawSpectra, settings: SearchSettings, frequency: float, amplitude: float,
                         baseline: SearchResult | None = None) -> InjectionResult:
    """Inject a software axion (total power ``amplitude`` in units of a bin's noise) at ``frequency``
    into every magnet-on spectrum, rerun the chain, and compare the fitted amplitudes with and without
    it (RADES: the efficiency of the Savitzky-Golay filters, measured as the paper does)."""
    s = settings
    bw = raw.bin_width
    shape = _lineshape(s, frequency, bw)
    inj = Injection(frequency, amplitude, shape.fractions)
    with_sig = restrict(grand_unified_spectrum(raw, s.filters, injection=inj).combined, s.window)
    without = baseline.gus if baseline is not None else restrict(grand_unified_spectrum(raw, s.filters).combined,
                                                                 s.window)
    a = []
    for g in (with_sig, without):
        sc = scan_spectrum(g, shape.fractions, 0.0)
        i = int(np.nanargmin(np.abs(sc.frequency - frequency)))
        a.append(float(sc.amplitude[i]))
    rec = a[0] - a[1]
    return InjectionResult(frequency, amplitude, rec, rec / amplitude, shape.efficiency)
