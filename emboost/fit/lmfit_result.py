"""The lmfit side of a fit, kept: ``FitResult.lmfit_result`` for lmfit's report, confidence intervals and emcee.

:func:`emboost.fit.core.least_squares` runs lmfit on *internal* parameters ``u = (SI - offset) / scale`` (numbers
of order one). :class:`LmfitResult` keeps the ``lmfit.Minimizer`` and its ``MinimizerResult`` and translates
back to SI:

* :meth:`LmfitResult.fit_report` — lmfit's text report, with values, errors and bounds in SI;
* :meth:`LmfitResult.conf_interval` — lmfit's profile-likelihood intervals, in SI;
* :meth:`LmfitResult.emcee` — an emcee Markov chain from the best fit (needs the ``emcee`` package, extra
  ``mcmc``), returning SI samples of the free parameters;
* any other attribute (``params``, ``covar``, ``chisqr``, ``nfev``, ...) is the ``MinimizerResult``'s own
  (internal units; ``result`` is that object).

With weights only (``scale_covar=True``) the residuals lmfit saw were multiplied by one constant to bring them
to order one, so lmfit's ``chisqr`` differs from ``FitResult.chisqr`` by that factor squared; ``norm`` holds it.

>>> import numpy as np
>>> from emboost.fit.core import ParameterSpec, least_squares
>>> x = np.linspace(0, 1, 21)
>>> r = least_squares(lambda p: (p[0] * x + p[1] - (2 * x + 0.5)) / 0.1,
...                   [ParameterSpec("a", 1.0), ParameterSpec("b", 0.1)], scale_covar=False)
>>> "[[Variables]]" in r.lmfit_result.fit_report()
True
>>> round(r.lmfit_result.params["a"].value * r.lmfit_result.scales["a"], 9)   # internal -> SI
2.0
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emboost.core.errors import FitError

__all__ = ["LmfitResult", "LazyLmfitResult"]


@dataclass(frozen=True, eq=False)
class LmfitResult:
    """lmfit's ``Minimizer`` and ``MinimizerResult`` of one fit, with the internal-to-SI map of its parameters."""

    minimizer: Any = field(repr=False)
    result: Any = field(repr=False)
    scales: dict[str, float]
    offsets: dict[str, float]
    scale_covar: bool
    norm: float = 1.0

    def __repr__(self) -> str:
        return f"LmfitResult(method={self.result.method!r}, nfev={self.result.nfev}, params={list(self.scales)})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the Minimizer (it holds the residual closure and its data): a FitResult sent to
        another process keeps the MinimizerResult for reports; emcee and conf_interval need the original."""
        state = dict(self.__dict__)
        state["minimizer"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _need_minimizer(self) -> None:
        if self.minimizer is None:
            raise FitError("this lmfit result was copied from another process without its minimizer; "
                           "run conf_interval and emcee where the fit ran")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("minimizer", "result", "scales", "offsets", "scale_covar", "norm"):
            raise AttributeError(name)
        return getattr(self.result, name)

    # -------------------------------------------------------------------------------- SI view
    def to_si(self, name: str, u: Any) -> Any:
        """Internal value(s) ``u`` of parameter ``name`` in SI."""
        return np.asarray(u) * self.scales[name] + self.offsets[name]

    def si_params(self) -> Any:
        """A copy of the best-fit ``lmfit.Parameters`` in SI (values, errors, bounds, initial values)."""
        out = copy.deepcopy(self.result.params)
        for name, p in out.items():
            s, o = self.scales[name], self.offsets[name]
            lo, hi = p.min * s + o, p.max * s + o
            init = p.init_value * s + o if p.init_value is not None else None
            p.set(value=p.value * s + o, min=lo, max=hi)
            p.init_value = init
            if p.stderr is not None:
                p.stderr = p.stderr * s
        return out

    def fit_report(self, **kwargs: Any) -> str:
        """lmfit's ``fit_report`` of this fit, parameters in SI (keyword arguments go to ``lmfit.fit_report``)."""
        import lmfit

        view = copy.copy(self.result)
        view.params = self.si_params()
        return str(lmfit.fit_report(view, **kwargs))

    def conf_interval(self, sigmas: tuple[float, ...] = (1, 2, 3),
                      **kwargs: Any) -> dict[str, list[tuple[float, float]]]:
        """lmfit's ``conf_interval`` (F-test profile intervals), as ``{name: [(probability, SI value), ...]}``.

        lmfit's F-test scales the intervals by the observed reduced chi^2 even when the noise is known; for a
        near-linear model they equal ``stderr * sqrt(redchi)`` to about 2 %.
        """
        import lmfit

        self._need_minimizer()
        try:
            ci = lmfit.conf_interval(self.minimizer, self.result, sigmas=sigmas, **kwargs)
        except (lmfit.minimizer.MinimizerException, ValueError) as exc:
            raise FitError(f"lmfit could not compute confidence intervals: {exc}") from None
        return {n: [(float(prob), float(self.to_si(n, v))) for prob, v in rows] for n, rows in ci.items()}

    def emcee(self, *, steps: int = 1000, nwalkers: int = 32, burn: int = 200, thin: int = 1, seed: int = 0,
              **kwargs: Any) -> tuple[np.ndarray, tuple[str, ...], Any]:
        """Sample the posterior with emcee (flat priors within the bounds) from walkers around the best fit.

        Returns ``(samples, names, emcee_result)``: SI samples of the free parameters, shape ``(n, n_free)``, in
        the order of ``names``, and lmfit's ``MinimizerResult`` of the run (``acceptance_fraction``, ``chain``,
        ...). With known noise (``scale_covar`` False) the residuals are chi values and the likelihood is
        ``exp(-chi^2/2)``; with weights only, lmfit fits the noise scale too (``__lnsigma``). Seeded.
        """
        if importlib.util.find_spec("emcee") is None:
            raise FitError("emcee sampling needs the 'emcee' package: pip install 'emboost[mcmc]'")
        self._need_minimizer()
        params = copy.deepcopy(self.result.params)
        free = [n for n, p in params.items() if p.vary]
        rng = np.random.default_rng(seed)
        centre = np.array([params[n].value for n in free])
        err = np.array([params[n].stderr if params[n].stderr else 1e-3 for n in free])
        pos = centre + 1e-2 * err * rng.standard_normal((nwalkers, len(free)))
        lo = np.array([params[n].min for n in free])
        hi = np.array([params[n].max for n in free])
        pos = np.clip(pos, np.nextafter(lo, hi), np.nextafter(hi, lo))
        if self.scale_covar:
            params.add("__lnsigma", value=np.log(max(float(np.sqrt(self.result.redchi)), 1e-300)), min=-50, max=50)
            pos = np.column_stack([pos, np.log(np.sqrt(self.result.redchi))
                                   + 1e-3 * rng.standard_normal(nwalkers)])
        said = io.StringIO()
        with contextlib.redirect_stdout(said):  # lmfit prints its chain-length advice: make it a warning
            res = self.minimizer.emcee(params=params, steps=steps, nwalkers=nwalkers, burn=burn, thin=thin, pos=pos,
                                       is_weighted=not self.scale_covar, seed=seed, progress=False, **kwargs)
        if said.getvalue().strip():
            warnings.warn("emcee: " + " ".join(said.getvalue().split()), UserWarning, stacklevel=2)
        chain = res.flatchain
        samples = np.column_stack([self.to_si(n, np.asarray(chain[n])) for n in free])
        return samples, tuple(free), res


class LazyLmfitResult:
    """lmfit's view of a fit that emboost solved with its own solver (an analytic Jacobian, a sandwich covariance).

    Built on first use: ``build`` runs lmfit's least squares from emboost's solution on the same weighted
    residuals, so lmfit converges at once and ``fit_report``, ``conf_interval`` and ``emcee`` work as for any
    other fit. Its covariance is lmfit's own ``(J^T J)^-1`` (scaled by the reduced chi^2 when the noise is not
    known); where emboost reports a sandwich covariance (angular weights), emboost's numbers are the calibrated
    ones. Every attribute is the built :class:`LmfitResult`'s.
    """

    def __init__(self, build: Callable[[], LmfitResult]) -> None:
        self._build: Callable[[], LmfitResult] | None = build
        self._built: LmfitResult | None = None

    def _get(self) -> LmfitResult:
        if self._built is None:
            assert self._build is not None
            self._built = self._build()
            self._build = None
        return self._built

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return "LazyLmfitResult(built)" if self._built is not None else "LazyLmfitResult(not built yet)"

    def __getstate__(self) -> dict[str, Any]:
        """Pickled built (the residual closure stays behind, as for :class:`LmfitResult`)."""
        return {"_build": None, "_built": self._get()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
