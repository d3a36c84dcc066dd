"""The haloscope search job: a recipe (``kind = "rades_search"``) -> results folder (docs/search.md).

Reads the raw spectra (an ``.npz`` file or a folder of ``.npy`` files, memory-mapped, see
:func:`read_spectra`) and the cavity inputs (the ``[search]`` table of a model file), runs
:func:`emboost.search.analysis.run_search`, measures the filter efficiency by injecting a software
axion end to end, and writes atomically: ``gus.csv`` (grand unified spectrum), ``gus_histogram.csv``,
``scan.csv`` (amplitude, local significance, observed and expected limits with bands, in A and g),
``candidates.csv``, ``results.json`` (settings, summary, provenance) and the figures ``gus.png``,
``gus_histogram.png``, ``significance.png``, ``exclusion.png``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emboost.core.constants import GeV
from emboost.core.errors import DataFileError, RecipeError
from emboost.core.output import atomic_savefig, atomic_write_csv, atomic_write_json, prepare_output_dir, provenance
from emboost.core.setupfile import Table, read_toml
from emboost.jobs.recipes import recipe_header, resolve_path
from emboost.search.analysis import SearchResult, SearchSettings, injection_efficiency, run_search
from emboost.search.scan import CavityParameters
from emboost.search.spectra import FilterSettings, RawSpectra

__all__ = ["SearchJob", "parse_recipe", "read_spectra", "read_cavity", "search", "KEYS"]

#: the arrays of a spectra file
KEYS = ("power", "timestamp", "lo_frequency", "magnet_on", "if_frequency")


@dataclass(frozen=True)
class SearchJob:
    """A parsed recipe: the spectra path, the model path, the chain settings, the injection check."""

    name: str
    spectra: Path
    model: Path | None
    settings: SearchSettings
    injection_sigma: float
    recipe: Path


def read_spectra(path: str | os.PathLike[str]) -> RawSpectra:
    """Raw spectra from ``path``: an ``.npz`` with the arrays :data:`KEYS` (and optionally
    ``integration_time``), or a folder holding ``<key>.npy`` files (``power.npy`` memory-mapped, so it
    may be larger than memory)."""
    p = Path(path)
    arrays: dict[str, Any] = {}
    try:
        if p.is_dir():
            for k in KEYS + ("integration_time",):
                f = p / f"{k}.npy"
                if f.exists():
                    arrays[k] = np.load(f, mmap_mode="r" if k == "power" else None, allow_pickle=False)
        elif p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        else:
            raise DataFileError("expected an .npz file or a folder of .npy files", path=p)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read the spectra: {exc}", path=p) from None
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise DataFileError(f"missing array(s) {missing}; expected {list(KEYS)}", path=p)
    t = arrays.get("integration_time")
    try:
        return RawSpectra(power=arrays["power"], timestamp=np.asarray(arrays["timestamp"], dtype=float),
                          lo_frequency=np.asarray(arrays["lo_frequency"], dtype=float),
                          magnet_on=np.asarray(arrays["magnet_on"], dtype=bool),
                          if_frequency=np.asarray(arrays["if_frequency"], dtype=float),
                          integration_time=None if t is None else float(np.asarray(t)), source=str(p))
    except DataFileError:
        raise
    except Exception as exc:  # InputError from the checks: name the file
        raise DataFileError(getattr(exc, "reason", str(exc)), path=p, key=getattr(exc, "key", None)) from None


def read_cavity(path: str | os.PathLike[str]) -> CavityParameters:
    """The ``[search]`` table of a model file as :class:`CavityParameters` (units parsed here)."""
    top = Table(read_toml(path), path=path)
    t = top.table("search")
    kw = {name: float(t.quantity(name, dim, minimum=0, exclusive=True)) for name, dim in (
        ("f0", "frequency"), ("q_loaded", "dimensionless"), ("beta", "dimensionless"),
        ("form_factor", "dimensionless"), ("volume", "volume"), ("b_field", "magnetic_field"),
        ("t_sys", "temperature"), ("rho", "energy_density"))}
    return CavityParameters(**kw)


def parse_recipe(path: str | os.PathLike[str]) -> SearchJob:
    """Parse a ``rades_search`` recipe into a frozen :class:`SearchJob` (every key checked)."""
    top, name = recipe_header(path, None, "rades_search")
    inp = top.table("input")
    spectra = resolve_path(path, inp.string("spectra"))
    model_s = inp.string("model", "")
    inp.finish()
    f = top.table("filters", {})
    filters = FilterSettings(sg1_length=f.number("sg1_length", 15, integer=True),
                             sg1_degree=f.number("sg1_degree", 3, integer=True),
                             sg2_length=f.number("sg2_length", 109, integer=True),
                             sg2_degree=f.number("sg2_degree", 3, integer=True),
                             sideband=f.number("sideband", 1, integer=True),
                             block=f.number("block", 512, integer=True, minimum=1))
    f.finish()
    fit = top.table("fit", {})
    window = fit.quantity("window", "frequency", None)
    settings = SearchSettings(
        filters=filters, fit_bins=fit.number("bins", 14, integer=True, minimum=1),
        template_offset=float(fit.quantity("template_offset", "frequency", 0.0)),
        v_lab=float(fit.quantity("v_lab", "velocity", 232e3, minimum=0, exclusive=True)),
        v_rms=float(fit.quantity("v_rms", "velocity", 1.5**0.5 * 220e3, minimum=0, exclusive=True)),
        credibility=fit.number("credibility", 0.95), prior=fit.string("prior", "flat", choices=("flat",)),
        candidate_threshold=fit.number("candidate_threshold", 3.0),
        window=None if window is None else (float(np.min(window)), float(np.max(window))),
        n_sim=top.table("expected", {}).number("simulations", 1000, integer=True, minimum=2),
        seed=top.table("expected", {}).number("seed", 0, integer=True))
    fit.finish()
    ex = top.table("expected", {})
    ex.number("simulations", 1000, integer=True)
    ex.number("seed", 0, integer=True)
    ex.finish()
    inj = top.table("injection", {})
    inj_sigma = float(inj.number("amplitude_sigma", 20.0, minimum=0))
    inj.finish()
    top.finish()
    return SearchJob(name, spectra, resolve_path(path, model_s) if model_s else None, settings, inj_sigma,
                     Path(path))


def _histogram(res: SearchResult) -> dict[str, Any]:
    from scipy import stats

    z = res.gus.normalised
    z = z[np.isfinite(z)]
    edges = np.linspace(-5, 5, 41)
    h, _ = np.histogram(z, edges)
    expect = z.size * np.diff(stats.norm.cdf(edges))
    return {"z_low": edges[:-1], "z_high": edges[1:], "count": h, "expected_normal": expect}


def search(recipe: str | os.PathLike[str], out: str | os.PathLike[str], *, overwrite: bool = False,
           simulations: int | None = None, seed: int | None = None) -> SearchResult:
    """Run a search recipe into the folder ``out``; returns the result (also written)."""
    job = parse_recipe(recipe)
    s = job.settings
    if simulations is not None or seed is not None:
        from dataclasses import replace

        if simulations is not None and simulations < 2:
            raise RecipeError(f"--simulations must be >= 2, got {simulations}")
        s = replace(s, n_sim=simulations if simulations is not None else s.n_sim,
                    seed=seed if seed is not None else s.seed)
    raw = read_spectra(job.spectra)
    cavity = read_cavity(job.model) if job.model is not None else None
    res = run_search(raw, s, cavity)
    # filter efficiency measured end to end: a software axion of amplitude_sigma x sigma_A in the
    # window nearest the cavity resonance (else the middle of the analysed spectrum)
    inj = None
    if job.injection_sigma > 0:
        ok = np.nonzero(np.isfinite(res.scan.sigma))[0]
        target = cavity.f0 if cavity is not None else float(np.median(res.scan.frequency[ok]))
        i = int(ok[np.argmin(np.abs(res.scan.frequency[ok] - target))])
        amp = job.injection_sigma * float(res.scan.sigma[i])
        inj = injection_efficiency(raw, s, float(res.scan.frequency[i]), amp, res)
    outdir = prepare_output_dir(out, overwrite=overwrite)
    g = res.gus
    gus_cols: dict[str, Any] = {"frequency_hz": g.frequency, "delta": g.delta, "sigma": g.sigma,
                                "n_spectra": g.count}
    atomic_write_csv(outdir / "gus.csv", gus_cols,
                     comments=["grand unified spectrum, magnet on - off (unitless fractional excess)"])
    atomic_write_csv(outdir / "gus_histogram.csv", _histogram(res), comments=["histogram of delta/sigma"])
    sc, ex = res.scan, res.expected
    cols: dict[str, Any] = {"axion_frequency_hz": sc.frequency, "amplitude": sc.amplitude, "sigma": sc.sigma,
                            "local_z": sc.z, "limit_a": res.limit_a, "expected_a": ex.median,
                            "expected_a_m1": ex.band_1sigma[0], "expected_a_p1": ex.band_1sigma[1],
                            "expected_a_m2": ex.band_2sigma[0], "expected_a_p2": ex.band_2sigma[1]}
    if res.limit_g is not None and res.expected_g is not None and res.band_1sigma_g is not None \
            and res.band_2sigma_g is not None:
        cols.update({"limit_g_gev": res.limit_g * GeV, "expected_g_gev": res.expected_g * GeV,
                     "expected_g_m1_gev": res.band_1sigma_g[0] * GeV, "expected_g_p1_gev": res.band_1sigma_g[1] * GeV,
                     "expected_g_m2_gev": res.band_2sigma_g[0] * GeV, "expected_g_p2_gev": res.band_2sigma_g[1] * GeV})
    atomic_write_csv(outdir / "scan.csv", cols, comments=["windowed fit; A = axion power / noise power of one bin"])
    cands = res.candidates
    atomic_write_csv(outdir / "candidates.csv",
                     {"frequency_hz": [c.frequency for c in cands], "amplitude": [c.amplitude for c in cands],
                      "sigma": [c.sigma for c in cands], "local_z": [c.local_z for c in cands],
                      "global_p": [c.global_p for c in cands]},
                     comments=[f"windows with local z > {s.candidate_threshold}"])
    sig = res.significance
    summary: dict[str, Any] = {
        "name": job.name, "n_spectra": raw.n_spectra, "n_bins": raw.n_bins, "bin_width_hz": raw.bin_width,
        "gus": {"bins": int(np.sum(g.valid)), "mean_z": float(np.nanmean(g.normalised)),
                "std_z": float(np.nanstd(g.normalised)), "median_sigma": float(np.nanmedian(g.sigma)),
                "per_spectrum_sigma": res.spectra.per_spectrum_sigma},
        "lineshape": {"fractions": res.lineshape.fractions, "template": res.lineshape.template,
                      "filter_efficiency": res.lineshape.efficiency},
        "injection": None if inj is None else asdict(inj),
        "largest_excess": {"frequency_hz": float(sc.frequency[sig.max_index]), "local_z": sig.max_z,
                           "global_p": sig.global_p, "global_z": sig.global_z, "n_eff": sig.n_eff},
        "candidates": [asdict(c) for c in cands],
        "limits": {"median_observed_a": float(np.nanmedian(res.limit_a)),
                   "median_expected_a": float(np.nanmedian(ex.median)),
                   "best_observed_g_gev": None if res.limit_g is None else float(np.nanmin(res.limit_g) * GeV),
                   "best_expected_g_gev": None if res.expected_g is None else float(np.nanmin(res.expected_g) * GeV),
                   "credibility": s.credibility, "prior": s.prior, "simulations": s.n_sim},
        "settings": asdict(s),
        "cavity": None if cavity is None else asdict(cavity),
        "provenance": provenance([job.recipe] + ([job.model] if job.model else [])
                                 + ([job.spectra] if job.spectra.is_file() else []),
                                 spectra=str(job.spectra)),
    }
    atomic_write_json(outdir / "results.json", summary)
    from emboost.report import search_figures as sf

    for fname, fn in (("gus.png", sf.gus_figure), ("gus_histogram.png", sf.histogram_figure),
                      ("significance.png", sf.significance_figure), ("exclusion.png", sf.exclusion_figure)):
        atomic_savefig(fn(res), outdir / fname, dpi=110)
    return res
