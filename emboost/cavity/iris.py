"""Irises between the sub-cavities of a RADES filter: susceptances and two-port (ABCD) models.

All quantities refer to the TE10 mode of a rectangular guide (broad side ``a``, narrow side ``b``)
in the mode-normalised voltage/current convention: ``E_y = V e(x, y)`` with ``int e^2 dA = 1``, the
line impedance is the TE wave impedance ``Z = j w mu0 / gamma``, and a shunt susceptance ``B``
normalised to ``Y = 1/Z`` is written ``b = B/Y`` (negative: inductive, positive: capacitive).
Convention exp(+jwt) (:mod:`emboost.core.conventions`). Frequencies may be complex (for the complex
resonances of a lossy chain); every formula is the analytic continuation of the real-f one.

* thin symmetric inductive iris (window width ``w`` in the broad wall, Marcuvitz/Pozar small-aperture
  form): ``b = -(lambda_g / a) cot^2(pi w / (2 a))``;
* thin symmetric capacitive iris (gap ``d`` in the narrow direction, Marcuvitz/Pozar):
  ``b = (4 b_guide / lambda_g) ln csc(pi d / (2 b_guide))``;
* a thick iris (thickness ``t``): two steps, each carrying half the thin-iris susceptance, joined by
  an ideal transformer (the overlap of the two normalised TE10 mode functions) to a TE10 section
  of the window cross-section and length ``t`` (below cutoff for an inductive window). For
  ``t -> 0`` this reduces exactly to the thin iris;
* a given susceptance ``b_ref`` at ``f_ref``, scaled with frequency as an inductance (``b ~ lambda_g``,
  b < 0) or a capacitance (``b ~ 1/lambda_g``, b > 0).

``scale`` multiplies the susceptance of any kind (a fitted correction, e.g. to an FEM mode).

Conductor loss of a thick inductive iris (faces, edges, the window's walls and the broad walls under
the iris's local field) follows Wheeler's incremental rule: a wall of surface resistance ``R_s`` acts
like a perfect wall receded into the metal by ``d = -j R_s / (w mu0)`` (the loss part of the surface
impedance), exact to first order on every wall where the normal E vanishes -- for the TE_n0 fields of an
H-plane iris, the faces (normal z), the window edges and the narrow walls (normal x); the broad walls,
on which E is normal, act as a uniform complex permeability ``mu0 (1 - j delta / b)`` (for fields uniform
in y their loss is ``1/Q = delta/b`` exactly). The iris's even and odd admittances come from a mode-matching
solution of the symmetric thick iris (:func:`iris_even_odd_admittance`, TE_n0 modes, n odd, in the guide
and in the window), so the edge singularity of the current is resolved by the thickness and the modes,
not fitted: the lossy iris is ``series(R_s) . Y(w + 2d, t - 2d, a + 2d, mu) . series(R_s)`` to first
order in ``d`` (:func:`iris_loss_admittance`). The loss is largest for a mode whose voltage is large at
the iris (the in-phase, axion mode: a strong shunt current crowds on the edges) and smallest for one
with a field node at the iris. A thin iris has an unregularised edge singularity (infinite loss); thin
and capacitive irises keep the simpler face-fraction model (:func:`face_loss_fraction`).

>>> import numpy as np
>>> f = np.array([8.384e9])
>>> round(float(inductive_susceptance(f, 22.86e-3, 8.0e-3)[0].real), 3)     # physics.md 3.4
-6.686
>>> iris = Iris("inductive", window=8.0e-3)
>>> m = iris.abcd(f, 22.86e-3, 10.16e-3)
>>> m.shape, bool(abs(np.linalg.det(m[0]) - 1.0) < 1e-12)
((1, 2, 2), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from emboost.core.constants import c, mu0
from emboost.core.errors import InputError, PhysicsError

__all__ = [
    "Iris",
    "guide_wavelength",
    "inductive_susceptance",
    "capacitive_susceptance",
    "inductive_overlap",
    "face_loss_fraction",
    "te10_gamma_impedance",
    "lossy_te10_gamma_impedance",
    "iris_even_odd_admittance",
    "iris_loss_admittance",
]

KINDS = ("inductive", "capacitive", "susceptance")
LOSS_MODES = 40  # TE_n0 modes (n odd) of the guide in the mode matching; the window gets w/a of them


def te10_gamma_impedance(f: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Lossless ``gamma = sqrt((pi/width)^2 - k^2)`` and ``Z = j w mu0 / gamma`` for (complex) ``f``.

    Branch: ``gamma = j sqrt(k^2 - kc^2)`` above cutoff, ``sqrt(kc^2 - k^2)`` below, so that gamma is
    analytic in f on either side (complex resonances sit just above the real axis).
    """
    f = np.asarray(f)
    k = 2 * np.pi * f / c
    if np.isrealobj(f) and np.all(k > np.pi / width):  # fast real path: propagating everywhere
        beta = np.sqrt(k**2 - (np.pi / width) ** 2)
        return 1j * beta, 2 * np.pi * f * mu0 / beta
    d = k**2 - (np.pi / width) ** 2 + 0j
    # each branch is analytic near the real f axis: +j beta above cutoff, alpha > 0 below
    g = np.where(d.real > 0, 1j * np.sqrt(d), np.sqrt(-d))
    return g, 2j * np.pi * f * mu0 / g


def lossy_te10_gamma_impedance(f: np.ndarray, width: float, height: float,
                               rs: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """TE10 line of a ``width x height`` section with wall loss, valid above and below cutoff.

    Telegrapher form of a TE mode, ``Z' = j w mu0 + R'``, ``Y' = (kc^2 - k^2) / (j w mu0)``, with the
    exact wall-loss resistance per length of the mode, ``R' = R_s [2 (1 + rho^2)/h + 4 rho^2 / w]``,
    ``rho = kc/|gamma|`` (the ratio of axial to transverse H). Above cutoff this reproduces Pozar's
    alpha_c (3.96) to first order in R_s; below cutoff it gives the loss of an evanescent window.
    """
    g0, z0 = te10_gamma_impedance(f, width)
    if np.all(np.asarray(rs) == 0):
        return g0, z0
    f = np.asarray(f)
    w_ = 2 * np.pi * f
    kc = np.pi / width
    k = w_ / c
    rho2 = kc**2 / (kc**2 - k**2 + 0j)
    rho2 = np.where(np.real(kc**2 - k**2) > 0, rho2, -rho2)  # kc^2/|gamma|^2 on either side of cutoff
    rp = rs * (2 * (1 + rho2) / height + 4 * rho2 / width)
    zs = 1j * w_ * mu0 + rp
    ys = (kc**2 - k**2) / (1j * w_ * mu0)
    gamma = g0 * np.sqrt(zs / (1j * w_ * mu0))  # sqrt(Z'Y') on the branch of the lossless gamma
    return gamma, gamma / ys


def guide_wavelength(f: np.ndarray, a: float) -> np.ndarray:
    """TE10 guide wavelength ``2 pi / beta`` [m] (complex f allowed: analytic continuation)."""
    f = np.asarray(f)
    k = 2 * np.pi * f / c
    if np.isrealobj(f) and np.all(k > np.pi / a):
        return 2 * np.pi / np.sqrt(k**2 - (np.pi / a) ** 2)
    beta = np.sqrt(k**2 - (np.pi / a) ** 2 + 0j)
    return 2 * np.pi / beta


def inductive_susceptance(f: np.ndarray, a: float, window: float) -> np.ndarray:
    """Normalised susceptance ``B/Y`` of a thin symmetric inductive iris of window ``window`` [m]."""
    return -(guide_wavelength(f, a) / a) / np.tan(np.pi * window / (2 * a)) ** 2


def capacitive_susceptance(f: np.ndarray, a: float, b: float, gap: float) -> np.ndarray:
    """Normalised susceptance ``B/Y`` of a thin symmetric capacitive iris with gap ``gap`` [m]."""
    return (4 * b / guide_wavelength(f, a)) * np.log(1.0 / np.sin(np.pi * gap / (2 * b)))


def inductive_overlap(a: float, window: float) -> float:
    """Overlap of the normalised TE10 functions of a guide of width ``a`` and a centred window.

    ``P = int e_a e_w dx`` (same height): the turns ratio of the step ``V_a = P V_w``.

    >>> round(inductive_overlap(1.0, 1.0), 12)
    1.0
    """
    if window >= a:
        return 1.0
    p, q, h = np.pi / a, np.pi / window, window / 2
    integral = np.sin((p - q) * h) / (p - q) + np.sin((p + q) * h) / (p + q)
    return float(np.sqrt(2 / a) * np.sqrt(2 / window) * integral)


def face_loss_fraction(kind: str, a: float, b: float, window: float) -> float:
    """Fraction of ``int |h_t|^2 dA`` of the TE10 mode that falls on the metal face of an iris."""
    if kind == "inductive":
        return 1.0 - (window + (a / np.pi) * np.sin(np.pi * window / a)) / a
    if kind == "capacitive":
        return 1.0 - window / b
    return 0.0


def _te_gamma(kc: np.ndarray, k2: np.ndarray) -> np.ndarray:
    """TE propagation constant on the branch analytic near the real axis (Re > 0 evanescent, +j beta)."""
    d = kc**2 - k2 + 0j
    return np.where(np.real(d) > 0, np.sqrt(d), 1j * np.sqrt(-d))


def _window_overlap(a: float | complex, w: float | complex, n_a: int, n_w: int) -> np.ndarray:
    """``P[m, n] = int e_w,m e_a,n dx`` over a centred window, odd TE_n0 modes; shape (n_w, n_a)."""
    x0 = (a - w) / 2
    p = (np.arange(1, 2 * n_a, 2) * np.pi / a)[None, :]
    q = (np.arange(1, 2 * n_w, 2) * np.pi / w)[:, None]
    phi = p * x0
    diff = p - q
    same = np.abs(diff) < 1e-9 * np.abs(p)
    safe = np.where(same, 1.0, diff)
    s1 = np.where(same, w * np.cos(phi), (np.sin(diff * w + phi) - np.sin(phi)) / safe)
    s2 = (np.sin((p + q) * w + phi) - np.sin(phi)) / (p + q)
    return np.sqrt(2 / a) * np.sqrt(2 / w) * 0.5 * (s1 - s2)


def iris_even_odd_admittance(f: np.ndarray, a: float | complex, window: float | complex,
                             thickness: float | complex, mu_r: complex = 1.0,
                             n_modes: int = LOSS_MODES) -> tuple[np.ndarray, np.ndarray]:
    """Even and odd input admittances of a symmetric thick inductive iris by mode matching, normalised.

    The iris (window ``window`` centred in a guide of width ``a``, thickness ``thickness`` [m]) is seen
    from one face with a magnetic (even) or electric (odd) wall in its middle plane. The aperture field is
    expanded in the window's TE_m0 modes (m odd, ``n_modes * window / a`` of them), the guide side in
    ``n_modes`` TE_n0 modes (n odd; the higher ones evanescent, matched); continuity of H_x over the
    aperture gives ``Z = P_1^T [diag(Y_w,m tanh|coth(g_m t/2)) + sum_n>1 Y_n P_n P_n^T]^-1 P_1``.
    Returned: ``(Y_even, Y_odd) * Z_1``, normalised to the guide's TE10 wave impedance at the same
    ``mu_r`` (shape of ``f``). Geometry and ``mu_r`` may be complex (Wheeler's complex wall recession);
    ``f`` may be complex. For a lossless iris both are imaginary and negative-imaginary (inductive).

    >>> ye, yo = iris_even_odd_admittance(np.array([8.4e9]), 22.86e-3, 8e-3, 2e-3)
    >>> bool(ye.imag[0] < 0 and yo.imag[0] < ye.imag[0])
    True
    """
    f = np.atleast_1d(np.asarray(f))
    n_w = max(2, int(round(n_modes * float(np.real(window)) / float(np.real(a)))))
    p = _window_overlap(a, window, n_modes, n_w)
    om = 2 * np.pi * f
    mu = mu0 * mu_r
    k2 = (om / c) ** 2 * mu_r
    ga = _te_gamma((np.arange(1, 2 * n_modes, 2) * np.pi / a)[None, :], k2[:, None])
    gw = _te_gamma((np.arange(1, 2 * n_w, 2) * np.pi / window)[None, :], k2[:, None])
    ya = ga / (1j * om[:, None] * mu)
    yw = gw / (1j * om[:, None] * mu)
    h = np.einsum("mn,fn,kn->fmk", p[:, 1:], ya[:, 1:], p[:, 1:])
    rhs = np.broadcast_to(p[:, 0], (f.size, n_w))[..., None]
    out = []
    x = gw * thickness / 2
    for load in (np.tanh(x), 1 / np.tanh(x)):
        m = h + (yw * load)[:, :, None] * np.eye(n_w)[None]
        z = np.einsum("m,fm->f", p[:, 0], np.linalg.solve(m, rhs)[..., 0])
        out.append(1 / (z * ya[:, 0]))
    return out[0], out[1]


def iris_loss_admittance(f: np.ndarray, a: float, b: float, window: float, thickness: float,
                         rs: np.ndarray | float, n_modes: int = LOSS_MODES) -> tuple[np.ndarray, np.ndarray]:
    """First-order change of the normalised even and odd iris admittances by conductor loss.

    Wheeler's rule with the complex recession ``d = -j R_s/(w mu0)``: the window edges recede
    (``window + 2d``), the faces recede (``thickness - 2d``; the matching ``+d`` of the guide on each side
    is a series ``R_s`` at each face, added by :meth:`Iris.entries`), the narrow walls recede
    (``a + 2d``) and the broad walls act as ``mu_r = 1 - j delta/b`` (``delta = 2 R_s/(w mu0)``).
    Derivatives of :func:`iris_even_odd_admittance` by central differences. Returns (dy_even, dy_odd),
    shape of ``f``. The odd one may have a negative real part: the face term ``-2d dY/dt`` removes the
    window area from the series ``R_s`` of the faces; the iris as a whole dissipates.
    """
    f = np.atleast_1d(np.asarray(f))
    d = -1j * np.asarray(rs) / (2 * np.pi * f * mu0)
    hw = 1e-5 * window
    ht = 1e-5 * min(thickness, window)
    ha = 1e-5 * a
    hm = 1e-5

    def diff(**kw: Any) -> np.ndarray:
        args: dict[str, Any] = {"a": a, "window": window, "thickness": thickness, "mu_r": 1.0}
        (name, h), = kw.items()
        up, dn = dict(args), dict(args)
        up[name] = args[name] + h
        dn[name] = args[name] - h
        return (np.array(iris_even_odd_admittance(f, n_modes=n_modes, **up))
                - np.array(iris_even_odd_admittance(f, n_modes=n_modes, **dn))) / (2 * h)

    dy = (2 * d * diff(window=hw) - 2 * d * diff(thickness=ht) + 2 * d * diff(a=ha)
          + (2 * d / b) * diff(mu_r=hm))  # -j delta/b = 2 d / b
    return dy[0], dy[1]


@dataclass(frozen=True)
class Iris:
    """One iris.

    Parameters
    ----------
    kind:
        ``"inductive"`` (window of width ``window`` in the broad direction, full height),
        ``"capacitive"`` (gap of height ``window`` in the narrow direction, full width) or
        ``"susceptance"`` (given normalised ``susceptance`` at ``reference_frequency``).
    window:
        Window width (inductive) or gap height (capacitive) [m].
    thickness:
        Iris thickness [m]; 0 is a thin iris.
    susceptance, reference_frequency:
        For ``kind="susceptance"``: ``B/Y`` at ``reference_frequency`` [Hz].
    scale:
        Factor on the susceptance (fitted correction); 1 by default.
    """

    kind: str
    window: float | None = None
    thickness: float = 0.0
    susceptance: float | None = None
    reference_frequency: float | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"iris kind must be one of {list(KINDS)}, got {self.kind!r}")
        if self.kind == "susceptance":
            if self.susceptance is None or self.reference_frequency is None or self.susceptance == 0:
                raise InputError("a 'susceptance' iris needs a non-zero susceptance and a reference_frequency")
            if self.thickness != 0:
                raise InputError("a 'susceptance' iris is thin; give thickness 0")
        elif self.window is None or not self.window > 0:
            raise InputError(f"a {self.kind} iris needs a positive window, got {self.window!r}")
        if self.thickness < 0:
            raise InputError(f"iris thickness must be >= 0, got {self.thickness!r}")

    @property
    def width(self) -> float:
        """The window (inductive) or gap (capacitive) [m]; a 'susceptance' iris has none."""
        if self.window is None:
            raise InputError(f"a {self.kind} iris has no window")
        return float(self.window)

    @property
    def b_ref(self) -> tuple[float, float]:
        """(normalised susceptance, reference frequency [Hz]) of a 'susceptance' iris."""
        if self.susceptance is None or self.reference_frequency is None:
            raise InputError("a 'susceptance' iris needs a susceptance and a reference_frequency")
        return float(self.susceptance), float(self.reference_frequency)

    def check(self, a: float, b: float) -> None:
        """Raise :class:`InputError` if the iris does not fit the guide ``a x b``."""
        if self.kind == "inductive" and not self.width < a:
            raise InputError(f"inductive iris window {self.width * 1e3:g} mm must be narrower than the "
                             f"guide width a = {a * 1e3:g} mm")
        if self.kind == "capacitive" and not self.width < b:
            raise InputError(f"capacitive iris gap {self.width * 1e3:g} mm must be smaller than the "
                             f"guide height b = {b * 1e3:g} mm")

    def normalized_susceptance(self, f: np.ndarray, a: float, b: float) -> np.ndarray:
        """``B/Y`` of the thin iris (the sum of both step susceptances of a thick one)."""
        f = np.asarray(f)
        if self.kind == "inductive":
            return self.scale * inductive_susceptance(f, a, self.width)
        if self.kind == "capacitive":
            return self.scale * capacitive_susceptance(f, a, b, self.width)
        b0, f_ref = self.b_ref
        ratio = guide_wavelength(f, a) / guide_wavelength(np.asarray(f_ref), a)
        if b0 < 0:
            return self.scale * b0 * ratio
        return self.scale * b0 / ratio

    def window_section(self, a: float, b: float) -> tuple[float, float]:
        """(width, height) [m] of the window section of a thick iris."""
        if self.kind == "inductive":
            return self.width, b
        return a, self.width

    def overlap(self, a: float, b: float) -> float:
        """Turns ratio ``P`` of each step (``V_guide = P V_window``)."""
        if self.kind == "inductive":
            return inductive_overlap(a, self.width)
        return float(np.sqrt(self.width / b))

    def entries(self, f: np.ndarray, a: float, b: float, z_guide: np.ndarray,
                face_resistance: np.ndarray | float = 0.0) -> tuple[Any, Any, Any, Any]:
        """ABCD entries (A, B, C, D) for frequencies ``f``; ``z_guide`` is the guide's wave impedance.

        ``face_resistance`` is the surface resistance [ohm] of the walls (0: lossless). A thick inductive
        iris gets the Wheeler/mode-matching loss of its faces, edges and walls (:func:`iris_loss_admittance`,
        added to its even and odd admittances, with a series ``R_s`` at each face); thin and capacitive
        irises a series ``R_s F`` on each side, ``F`` = :func:`face_loss_fraction`, and the wall loss of
        the window section.
        """
        f = np.asarray(f)
        lossy = bool(np.any(np.asarray(face_resistance) != 0))
        if lossy and self.kind == "inductive" and self.thickness > 0:
            return self._wheeler_entries(f, a, b, z_guide, face_resistance)
        bn = self.normalized_susceptance(f, a, b)
        if self.thickness == 0:
            # a thin iris is a pure shunt: scalar 1/0 entries let the cascade use a cheaper product
            A: Any
            B: Any
            C: Any
            D: Any
            A, B, C, D = 1.0, 0.0, 1j * bn / z_guide, 1.0
        else:
            y = 0.5j * bn / z_guide
            w, h = self.window_section(a, b)
            g, zw = lossy_te10_gamma_impedance(f, w, h, face_resistance)
            p = self.overlap(a, b)
            gl = g * self.thickness
            ch, sh = np.cosh(gl), np.sinh(gl)
            # transformer(p) . line(window) . transformer(1/p): V scales by p, Z by p^2
            la, lb, lc, ld = ch, p**2 * zw * sh, sh / (p**2 * zw), ch
            # shunt(y) . L . shunt(y)
            A = la + lb * y
            B = lb
            C = y * la + lc + (y * lb + ld) * y
            D = y * lb + ld
        if np.any(np.asarray(face_resistance) != 0):
            r = face_resistance * face_loss_fraction(self.kind, a, b, self.window or 0.0)
            # series(r) . M . series(r)
            A, B, C, D = A + r * C, B + r * D, C, D
            A, B, C, D = A, A * r + B, C, C * r + D
        return A, B, C, D

    def _wheeler_entries(self, f: np.ndarray, a: float, b: float, z_guide: np.ndarray,
                         rs: np.ndarray | float) -> tuple[Any, Any, Any, Any]:
        """Lossy ABCD entries of a thick inductive iris: the lossless two-port of :meth:`entries` with
        the loss increments of :func:`iris_loss_admittance` on its even/odd admittances, then a series
        ``R_s`` on each face."""
        A, B, C, D = self.entries(f, a, b, z_guide)
        ye, yo = (D - 1) / B, (D + 1) / B  # even/odd admittances of the symmetric two-port [S]
        dye, dyo = iris_loss_admittance(f, a, b, self.width, self.thickness, rs)
        ye = ye + dye.reshape(np.shape(ye)) / z_guide
        yo = yo + dyo.reshape(np.shape(yo)) / z_guide
        y11, y21 = 0.5 * (ye + yo), 0.5 * (ye - yo)
        A = D = -y11 / y21
        B = -1 / y21
        C = -(y11 * y11 - y21 * y21) / y21
        r = rs
        A, B = A + r * C, B + r * D  # series(r) . M
        B, D = A * r + B, C * r + D  # M . series(r)
        return A, B, C, D

    def abcd(self, f: np.ndarray, a: float, b: float) -> np.ndarray:
        """Lossless ABCD matrices, shape ``(nf, 2, 2)``, referred to the guide's TE10 wave impedance."""
        f = np.asarray(f)
        if np.any(np.real(f) <= c / (2 * a)):
            raise PhysicsError("iris evaluated at or below the TE10 cutoff of the guide")
        _, z = te10_gamma_impedance(f, a)
        A, B, C, D = self.entries(f, a, b, z)
        out = np.empty(np.shape(f) + (2, 2), dtype=complex)
        out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = A, B, C, D
        return out
