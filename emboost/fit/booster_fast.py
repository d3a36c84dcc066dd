"""Booster reflectivity fits with the exact Jacobian, and multi-start fits.

The parameters are those of :mod:`emboost.fit.booster` (``gap_i``, ``phase_thickness`` or
``phase_thickness_i``, ``loss_tangent``, ``electrical_delay``, ``background_re``/``background_im``) and the
model is the same, ``S11 = (bg_re + j bg_im) exp(-j 2 pi (f - f_ref) tau) S11_booster``. Its Jacobian comes
from :func:`emboost.booster.gradients.booster_gradients` (one adjoint pass for every parameter at once)
instead of finite differences: ``dS/dgap_i`` directly, ``dS/dphase_thickness = sum_i dS/dt_i / sqrt(eps_i)``
(eps stays at the setup's value), ``dS/dtan d = sum_i dS/dtan d_i``, and the line terms in closed form.

:func:`fit_booster_s11` fits the complex S11 (noise ``sigma`` per real and imaginary part) with scipy's
Levenberg-Marquardt (then, if it left the bounds, the bounded trust-region method) and this Jacobian;
:func:`multistart_booster_fit` runs it from the given start and from seeded random starts around it and
reports whether another start reached a lower chi^2 (the given start then sat in a wrong basin).

>>> import numpy as np
>>> from emboost.booster.model import Booster
>>> from emboost.fit.booster import booster_parameter_specs
>>> base = Booster.from_disks([8e-3] * 3, 1e-3, 9.4, 1e-4)
>>> f = np.linspace(21.4e9, 22.4e9, 101)
>>> truth = base.with_gaps([8.05e-3, 7.97e-3, 8.02e-3])
>>> specs = booster_parameter_specs(base, ["gap_1", "gap_2", "gap_3"])
>>> r = fit_booster_s11(f, truth.reflectivity(f), base, specs, sigma=1e-3)
>>> np.round(r.free_values * 1e3, 6).tolist(), r.success
([8.05, 7.97, 8.02], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares as scipy_least_squares

from emboost.booster.gradients import booster_gradients
from emboost.booster.model import Booster
from emboost.core.errors import InputError
from emboost.core.reprs import short_repr
from emboost.fit.booster import booster_parameter_defaults
from emboost.fit.core import ParameterSpec

__all__ = ["model_s11_jacobian", "FastBoosterFit", "fit_booster_s11", "MultiStartFit", "multistart_booster_fit"]


def model_s11_jacobian(base: Booster, names: Sequence[str], values: np.ndarray, f: np.ndarray,
                       f_ref: float) -> tuple[np.ndarray, np.ndarray]:
    """Model S11 ``(nf,)`` and its exact Jacobian ``(nf, len(names))`` for the full parameter vector ``values``."""
    names = tuple(names)
    v = np.asarray(values, float)
    n = base.n_disks
    gi = [names.index(f"gap_{i + 1}") for i in range(n)]
    per_disk = n > 0 and "phase_thickness_1" in names
    pi = [names.index(f"phase_thickness_{i + 1}") for i in range(n)] if per_disk else \
        [names.index("phase_thickness")] * n
    ti = names.index("loss_tangent")
    sqrt_eps = np.sqrt(np.broadcast_to(base.permittivity, (n,)))
    b = base.replace(gaps=v[gi], thickness=v[pi] / sqrt_eps, loss_tangent=np.full(n, v[ti]))
    g = booster_gradients(b, f)
    tau, bre, bim = (float(v[names.index(k)]) for k in ("electrical_delay", "background_re", "background_im"))
    ph = np.exp(-2j * np.pi * (f - f_ref) * tau)
    line = (bre + 1j * bim) * ph
    sb = g.s11
    jac = np.zeros((f.size, len(names)), complex)
    d = g.d_s11
    jac[:, gi] = (line[None, :] * d[g.block("gap")]).T
    dt = line[None, :] * d[g.block("thickness")] / sqrt_eps[:, None]
    if per_disk:
        jac[:, pi] = dt.T
    elif n:
        jac[:, pi[0]] = dt.sum(axis=0)
    jac[:, ti] = line * d[g.block("loss_tangent")].sum(axis=0)
    s = line * sb
    jac[:, names.index("electrical_delay")] = s * (-2j * np.pi * (f - f_ref))
    jac[:, names.index("background_re")] = ph * sb
    jac[:, names.index("background_im")] = 1j * ph * sb
    return s, jac


@dataclass(frozen=True, eq=False)
class FastBoosterFit:
    """A complex-S11 booster fit with the exact Jacobian.

    ``values`` (every parameter, SI, order ``names``); ``free`` and ``free_values``; ``covariance`` of the free
    parameters (``sigma^2 (J^T J)^-1``, or scaled by the reduced chi^2 without sigma); ``chisqr``, ``redchi``;
    ``nfev`` model evaluations and ``njev`` Jacobians; ``at_bound``: free parameters ending on a bound.
    """

    __repr__ = short_repr

    names: tuple[str, ...]
    values: np.ndarray
    free: tuple[str, ...]
    free_values: np.ndarray
    covariance: np.ndarray
    chisqr: float
    redchi: float
    nfev: int
    njev: int
    success: bool
    message: str
    at_bound: tuple[str, ...]

    @property
    def stderr(self) -> np.ndarray:
        return np.sqrt(np.abs(np.diag(self.covariance)))


def fit_booster_s11(f: np.ndarray, s11: np.ndarray, base: Booster, specs: Sequence[ParameterSpec], *,
                    sigma: float | None = None, max_nfev: int = 2000) -> FastBoosterFit:
    """Fit the complex ``s11`` at ``f`` [Hz] with the parameters ``specs`` (as for
    :func:`emboost.fit.booster.fit_booster`), each free parameter scaled by its natural size."""
    f = base.check_band(f)
    s11 = np.asarray(s11, complex)
    if s11.shape != f.shape or not np.all(np.isfinite(s11)):
        raise InputError(f"S11 must be finite with the shape of the frequencies {f.shape}", key="s11")
    if sigma is not None and not (math.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be > 0, got {sigma!r}", key="sigma")
    specs = list(specs)
    names = tuple(s.name for s in specs)
    expected = tuple(booster_parameter_defaults(base, "phase_thickness_1" in names))
    if names != expected:
        raise InputError(f"booster fit parameters must be {expected}, got {names}")
    free_idx = [i for i, s in enumerate(specs) if s.vary]
    if not free_idx:
        raise InputError("no parameter varies")
    full = np.array([s.value for s in specs], float)
    scale = np.array([s.scale for s in specs], float)[free_idx]
    lo = np.array([s.minimum for s in specs], float)[free_idx]
    hi = np.array([s.maximum for s in specs], float)[free_idx]
    f_ref = float(0.5 * (f[0] + f[-1]))
    w = 1.0 / (sigma if sigma is not None else 1.0)
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
    counts = [0, 0]

    def vec(u: np.ndarray) -> np.ndarray:
        v = full.copy()
        v[free_idx] = u * scale
        return v

    def model(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = u.tobytes()
        if k not in cache:
            cache.clear()
            try:
                cache[k] = model_s11_jacobian(base, names, vec(u), f, f_ref)
            except InputError:  # a wild step outside the physical range: a very bad point
                cache[k] = (np.full(f.size, 1e50 + 0j), np.zeros((f.size, len(names)), complex))
            counts[0] += 1
        return cache[k]

    def residual(u: np.ndarray) -> np.ndarray:
        d = (model(u)[0] - s11) * w
        return np.concatenate([d.real, d.imag])

    def jacobian(u: np.ndarray) -> np.ndarray:
        counts[1] += 1
        j = model(u)[1][:, free_idx] * (scale * w)
        return np.vstack([j.real, j.imag])

    u0 = np.clip(full[free_idx], lo, hi) / scale
    tol = {"xtol": 1e-10, "ftol": 1e-10, "gtol": 1e-10}
    # Levenberg-Marquardt (unbounded; unphysical points come back as huge residuals) converges in fewer
    # steps than the bounded trust-region method from a poor start; if it leaves the bounds, the bounded
    # method continues from its end point, clipped into them
    res = scipy_least_squares(residual, u0, jac=jacobian, method="lm", x_scale="jac", max_nfev=max_nfev, **tol)
    if not (np.all(res.x >= lo / scale) and np.all(res.x <= hi / scale)) or not res.success:
        u1 = np.clip(res.x, lo / scale, hi / scale)
        res = scipy_least_squares(residual, u1, jac=jacobian, bounds=(lo / scale, hi / scale), method="trf",
                                  x_scale="jac", max_nfev=max_nfev, **tol)
    u = res.x
    r = residual(u)
    chisqr = float(r @ r)
    nfree = max(r.size - len(free_idx), 1)
    redchi = chisqr / nfree
    jm = jacobian(u)
    try:
        cov_u = np.linalg.inv(jm.T @ jm)
    except np.linalg.LinAlgError:
        cov_u = np.full((len(free_idx), len(free_idx)), np.nan)
    if sigma is None:
        cov_u = cov_u * redchi
    cov = cov_u * np.outer(scale, scale)
    at_bound = []
    for k, i in enumerate(free_idx):
        width = (hi[k] - lo[k]) if math.isfinite(hi[k] - lo[k]) else max(abs(u[k] * scale[k]), scale[k])
        x = u[k] * scale[k]
        if (math.isfinite(lo[k]) and x - lo[k] <= 1e-6 * width) or (math.isfinite(hi[k]) and hi[k] - x <= 1e-6 * width):
            at_bound.append(names[i])
    v = vec(u)
    return FastBoosterFit(names=names, values=v, free=tuple(names[i] for i in free_idx), free_values=v[free_idx],
                          covariance=cov, chisqr=chisqr, redchi=redchi, nfev=counts[0], njev=counts[1],
                          success=bool(res.success), message=str(res.message), at_bound=tuple(at_bound))


@dataclass(frozen=True, eq=False)
class MultiStartFit:
    """Fits from the given start (index 0) and from seeded random starts.

    ``starts`` ``(k, n_free)`` [SI]; ``chisqr`` per start; ``best``: the index of the lowest chi^2;
    ``improved``: another start reached a chi^2 lower than the given start's by more than
    ``max(1, 1e-6 chi^2)`` (the given start ended in a wrong basin); ``fits``: every fit.
    """

    __repr__ = short_repr

    starts: np.ndarray
    chisqr: np.ndarray
    best: int
    improved: bool
    fits: tuple[FastBoosterFit, ...]

    @property
    def best_fit(self) -> FastBoosterFit:
        return self.fits[self.best]


def multistart_booster_fit(f: np.ndarray, s11: np.ndarray, base: Booster, specs: Sequence[ParameterSpec], *,
                           sigma: float | None = None, n_starts: int = 8, spread: float = 0.05,
                           seed: int = 0) -> MultiStartFit:
    """:func:`fit_booster_s11` from ``specs``' start and ``n_starts - 1`` starts drawn around it: each free
    parameter multiplied by ``1 + spread N(0, 1)`` (seeded), clipped to its bounds."""
    if n_starts < 1:
        raise InputError("n_starts must be >= 1", key="n_starts")
    specs = list(specs)
    rng = np.random.default_rng(seed)
    free_idx = [i for i, s in enumerate(specs) if s.vary]
    starts, fits = [], []
    for k in range(n_starts):
        if k == 0:
            sp = specs
        else:
            sp = []
            for s in specs:
                v = s.value * (1 + spread * rng.normal()) if s.vary else s.value
                v = float(np.clip(v, s.minimum, s.maximum))
                sp.append(ParameterSpec(s.name, v, s.minimum, s.maximum, s.vary, s.unit, s.scale, s.offset))
        starts.append([sp[i].value for i in free_idx])
        fits.append(fit_booster_s11(f, s11, base, sp, sigma=sigma))
    chi = np.array([x.chisqr for x in fits])
    best = int(np.argmin(chi))
    improved = bool(chi[best] < chi[0] - max(1.0, 1e-6 * chi[0]))
    return MultiStartFit(starts=np.array(starts), chisqr=chi, best=best, improved=improved, fits=tuple(fits))
