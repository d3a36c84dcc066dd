"""scikit-rf bridge: Network/Frequency in, Network and Touchstone out, one wave definition checked against an
independent scikit-rf cascade of the same media."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from skrf.media import DefinedGammaZ0

from emboost.booster.model import Booster
from emboost.core.conventions import complex_permittivity
from emboost.core.errors import InputError
from emboost.rf import skrf_bridge as br
from emboost.rf.materials import surface_impedance
from emboost.rf.media import te11_wall_attenuation, te_gamma_impedance
from emboost.rf.touchstone import read_s_parameter, read_touchstone

P11 = 1.8411837813406593
MU0 = 4e-7 * np.pi


def _lossy_closed_booster(wall_conductivity: float = 1e3) -> Booster:
    """Three lossy sapphire-like disks in a cylinder with a copper mirror: every wave impedance complex. The
    default wall is a poor conductor (1e3 S/m) so that Im z0 / Re z0 ~ 1e-4 and the two wave definitions
    differ far beyond rounding; copper walls (2e7 S/m, ratio ~2e-6) are checked too."""
    return Booster.from_disks(gaps=[7.9e-3, 8.3e-3, 8.1e-3], thickness=[1e-3, 1e-3, 1e-3],
                              permittivity=[9.4, 9.4, 9.4], loss_tangent=[3e-4, 3e-4, 3e-4], radius=0.1,
                              wall_conductivity=wall_conductivity, mirror_conductivity=3e7, output_length=0.02)


def _media(b: Booster, f: np.ndarray, eps_r: float, tand: float) -> tuple[np.ndarray, np.ndarray]:
    """gamma and wave impedance of one TE11 region, built here from the rf media functions (same physics as
    the booster's own media, assembled independently of its solver)."""
    eps_c = complex_permittivity(eps_r, tand)
    g, z = te_gamma_impedance(f, eps_c, P11 / b.radius)
    g = g + te11_wall_attenuation(f, b.radius, eps_r, b.wall_conductivity)
    z = 1j * 2 * np.pi * f * MU0 / g
    return np.asarray(g), np.asarray(z)


def _skrf_cascade(b: Booster, f: np.ndarray, s_def: str) -> tuple[skrf.Network, np.ndarray]:
    """The booster's reflection as a scikit-rf cascade: output line ** disk ** gap ** ... ** mirror load, each
    section a DefinedGammaZ0 line whose port impedance is its own wave impedance (scikit-rf inserts the
    impedance steps when it connects them)."""
    freq = br.frequency_object(f)
    eps_c, length, eps_r = b.regions()
    tand = np.zeros(eps_r.shape)
    tand[1:-1:2] = b.loss_tangent
    sections = []
    for i in range(eps_r.size):
        g, z = _media(b, f, float(eps_r[i]), float(tand[i]))
        m = DefinedGammaZ0(frequency=freq, gamma=g, z0=z)
        line = m.line(float(length[i]), unit="m")
        line.renormalize(np.stack([z, z], axis=-1), s_def=s_def)
        sections.append(line)
    z_gap = _media(b, f, 1.0, 0.0)[1]
    z_mirror = surface_impedance(f, b.mirror_conductivity)
    mirror = skrf.Network(frequency=freq, s=skrf.network.z2s(z_mirror[:, None, None], z_gap[:, None], s_def=s_def),
                          z0=z_gap[:, None], s_def=s_def)
    out = mirror
    for sec in sections:  # from the mirror outward: each new section goes in front
        out = skrf.network.connect(sec, 1, out, 0)
    z_out = _media(b, f, 1.0, 0.0)[1]
    return out, z_out


@pytest.mark.parametrize("wall", [1e3, 2e7])
@pytest.mark.parametrize("s_def", ["pseudo", "power"])
def test_booster_s11_equals_skrf_cascade_in_both_wave_definitions(s_def, wall):
    b = _lossy_closed_booster(wall)
    f = np.linspace(18.0e9, 19.5e9, 301)
    r = b.response(f)
    ref, z_out = _skrf_cascade(b, f, s_def)
    assert np.max(np.abs(z_out.imag / z_out.real)) > (1e-5 if wall < 1e4 else 1e-6)  # a complex reference
    assert np.allclose(ref.z0[:, 0], z_out)
    mine = br.booster_network(r, z0=z_out, s_def=s_def)
    err = np.max(np.abs(mine.s[:, 0, 0] - ref.s[:, 0, 0]))
    assert err < 1e-11, err  # measured 4e-13 for both definitions and both walls
    # the test can tell the definitions apart: emboost's raw S11 matches the cascade only in pseudo-waves
    raw = np.max(np.abs(r.s11 - ref.s[:, 0, 0]))
    assert raw < 1e-11 if s_def == "pseudo" else raw > (1e-4 if wall < 1e4 else 1e-6)
    # the same physical impedance whichever definition labels it
    assert np.allclose(mine.z[:, 0, 0], ref.z[:, 0, 0], rtol=1e-9)


def test_definitions_differ_for_a_complex_reference_and_agree_after_renormalising():
    b = _lossy_closed_booster()
    f = np.linspace(18.0e9, 19.5e9, 51)
    r = b.response(f)
    z_out = _media(b, f, 1.0, 0.0)[1]
    pseudo = br.booster_network(r, z0=z_out, s_def="pseudo")
    power = br.booster_network(r, z0=z_out, s_def="power")
    assert np.max(np.abs(pseudo.s - power.s)) > 1e-6  # not the same numbers...
    assert np.array_equal(pseudo.s[:, 0, 0], r.s11)  # emboost's own definition is pseudo-waves, unchanged
    for n in (pseudo, power):
        n.renormalize(50.0)
    assert np.allclose(pseudo.s, power.s, atol=1e-12)  # ...but the same load


def test_default_label_is_a_real_50_ohm_and_keeps_the_numbers():
    b = _lossy_closed_booster()
    f = np.linspace(18.0e9, 19.5e9, 11)
    r = b.response(f)
    for s_def in br.S_DEFINITIONS:
        n = br.to_network(r, s_def=s_def)
        assert np.array_equal(n.s[:, 0, 0], r.s11) and np.all(n.z0 == 50)


def test_frequency_inputs_coerce():
    freq = skrf.Frequency(18.2, 18.6, 5, unit="GHz")
    ntw = skrf.Network(frequency=freq, s=np.zeros((5, 1, 1)), z0=50)
    ref = np.linspace(18.2e9, 18.6e9, 5)
    for x in (freq, ntw, ref, list(ref)):
        assert np.allclose(br.as_frequencies(x), ref, rtol=1e-15, atol=0)
    b = Booster.from_disks(gaps=[8.2023e-3], thickness=[1e-3], permittivity=[9.4])
    assert np.array_equal(b.boost_factor(br.as_frequencies(freq)), b.boost_factor(ref))
    with pytest.raises(InputError, match="skrf.Frequency"):
        br.as_frequencies({"f": 1})


def test_read_touchstone_takes_a_network(tmp_path):
    freq = skrf.Frequency.from_f([1e9, 1.5e9, 2e9], unit="hz")
    s = np.array([[[0.1, 0.2j], [0.2j, -0.3]], [[0.5j, 0.1], [0.1, 0.2]], [[-0.4, 0.3], [0.3, 0.1j]]])
    ntw = skrf.Network(frequency=freq, s=s, z0=50, name="dut")
    d = read_touchstone(ntw)
    assert d.nports == 2 and np.array_equal(d.s, s) and np.array_equal(d.frequency, freq.f)
    assert d.path.name == "dut" and len(d.sha256) == 64
    f, s21 = read_s_parameter(ntw, "S21")
    assert np.array_equal(s21, s[:, 1, 0])
    with pytest.raises(InputError, match="skrf.Network"):
        read_touchstone(42)  # type: ignore[arg-type]


def test_network_of_another_definition_is_read_in_pseudo_waves():
    z0 = np.full(3, 40 - 8j)
    pseudo = br.reflection_network([1e9, 2e9, 3e9], [0.2, 0.1j, -0.3], z0=z0, s_def="pseudo")
    power = br.reflection_network([1e9, 2e9, 3e9], [0.2, 0.1j, -0.3], z0=z0, s_def="power")
    assert np.allclose(read_touchstone(power).s, read_touchstone(pseudo).s, atol=1e-14)
    assert np.allclose(read_touchstone(pseudo).s[:, 0, 0], [0.2, 0.1j, -0.3], atol=0)


def test_touchstone_network_touchstone_round_trip_is_bit_stable(tmp_path):
    rng = np.random.default_rng(7)
    f = np.sort(rng.uniform(17e9, 20e9, 401))
    s11 = (rng.normal(size=401) + 1j * rng.normal(size=401)) / 3
    first = tmp_path / "a.s1p"
    first.write_text("# Hz S RI R 50\n" + "".join(f"{float(a)!r} {float(b.real)!r} {float(b.imag)!r}\n"
                                               for a, b in zip(f, s11)))
    d1 = read_touchstone(first)
    assert np.array_equal(d1.frequency, f) and np.array_equal(d1.s[:, 0, 0], s11)
    second = br.write_touchstone(br.to_network(d1), tmp_path / "b.s1p")
    d2 = read_touchstone(second)
    assert np.array_equal(d2.frequency, d1.frequency) and np.array_equal(d2.s, d1.s)  # bit for bit
    third = br.write_touchstone(br.to_network(d2), tmp_path / "c.s1p")
    assert third.read_bytes() == second.read_bytes()


def test_two_port_round_trip_and_extension_check(tmp_path):
    freq = np.array([1e9, 1.1e9, 1.2e9])
    s = np.random.default_rng(3).normal(size=(3, 2, 2)) * (0.3 + 0.2j)
    p = br.write_touchstone(br.network(freq, s), tmp_path / "x.s2p")
    d = read_touchstone(p)
    assert np.array_equal(d.s, s) and np.array_equal(d.frequency, freq)
    with pytest.raises(InputError, match=r"\.s2p"):
        br.write_touchstone(br.network(freq, s), tmp_path / "x.s1p")


def test_complex_reference_is_written_renormalised_to_50_ohm(tmp_path):
    z0 = np.array([45 - 5j, 46 - 4j])
    n = br.reflection_network([1e9, 2e9], [0.3, -0.2j], z0=z0)
    p = br.write_touchstone(n, tmp_path / "z.s1p")
    d = read_touchstone(p)
    z_written = 50 * (1 + d.s[:, 0, 0]) / (1 - d.s[:, 0, 0])
    assert np.allclose(z_written, n.z[:, 0, 0], rtol=1e-12)


def test_cavity_pickup_and_fit_networks():
    from emboost.cavity.chain import CavityChain, Port
    from emboost.cavity.iris import Iris
    from emboost.fit.resonance import fit_resonance, resonance_response

    f = np.linspace(8.39e9, 8.41e9, 201)
    truth = resonance_response(f, 8.4e9, 5000.0, 0.8, 0.3, 0.9 + 0.1j, 1e-9, 8.4e9, "reflection")
    noise = np.random.default_rng(1).normal(0, 1e-3, (2, f.size))
    fit = fit_resonance(f, truth + noise[0] + 1j * noise[1], "reflection", sigma=1e-3)
    model = br.to_network(fit)
    data = br.fit_network(fit, which="data")
    assert model.nports == 1 and np.allclose(model.s[:, 0, 0], fit.model())
    assert np.array_equal(data.s[:, 0, 0], fit.data)

    class _Pickup:
        name = "toy"

        def impedance(self, f):
            return 0.1 + 1j * 2 * np.pi * np.asarray(f) * 1e-6

    pn = br.to_network(_Pickup(), np.array([1e6, 2e6]))
    assert np.allclose(pn.z[:, 0, 0], _Pickup().impedance([1e6, 2e6]))

    # a 5-cavity RADES chain, two ports: the Network is its S-matrix; its S11 matches the one-port reflection
    chain = CavityChain(a=22.86e-3, b=10.16e-3, lengths=(23.9e-3,) * 5, irises=(Iris("inductive", window=8e-3),) * 4,
                        conductivity=5.8e7, ports=(Port("left", 20.0), Port("right", 20.0)))
    fc = np.linspace(8.3e9, 8.6e9, 101)
    cn = br.to_network(chain, fc)
    assert cn.nports == 2 and np.array_equal(cn.s, chain.s_parameters(fc))
    assert np.allclose(cn.s[:, 0, 0], chain.s11(fc), atol=1e-12)
    assert np.allclose(cn.s[:, 1, 0], cn.s[:, 0, 1], atol=1e-12)  # reciprocal
    # the same through the results' own to_network methods
    assert np.array_equal(chain.to_network(fc).s, cn.s)
    assert np.array_equal(fit.to_network().s, model.s) and np.array_equal(fit.to_network(which="data").s, data.s)
    from emboost.pickup.coax import CoaxPickup, CopperModel

    pick = CoaxPickup(1.0, 0.5, 1.0, copper=CopperModel("room_temperature"))
    fp = np.array([10e6, 20e6])
    assert np.array_equal(pick.to_network(fp).z[:, 0, 0], br.pickup_network(pick, fp).z[:, 0, 0])
    b = Booster.from_disks([8.2023e-3], 1e-3, 9.4)
    r = b.response(np.linspace(18.9e9, 19.1e9, 5))
    assert np.array_equal(r.to_network(s_def="power").s, br.booster_network(r, s_def="power").s)


def test_cli_boost_writes_a_touchstone_equal_to_the_api(root, tmp_path):
    from emboost.booster.setup import load_booster_setup
    from emboost.cli import main

    model = root / "models" / "cb200_config1.toml"
    out = tmp_path / "cb200"
    assert main(["boost", str(model), "--output", str(out), "--quiet"]) == 0
    s = load_booster_setup(model)
    r = s.booster.response(s.frequencies)
    d = read_touchstone(out / "boost.s1p")
    assert np.array_equal(d.frequency, r.frequency) and np.array_equal(d.s[:, 0, 0], r.s11)  # bit for bit
    assert np.all(d.z0 == 50.0)
    net = skrf.Network(str(out / "boost.s1p"))  # scikit-rf reads it on its own
    assert np.array_equal(net.s[:, 0, 0], r.s11)
    assert (out / "boost_smith.png").stat().st_size > 10_000


def test_a_network_read_by_skrf_gives_what_the_file_gives(tmp_path):
    """scikit-rf's own reader (power waves, 50 ohm) and emboost's reader agree bit for bit."""
    rng = np.random.default_rng(11)
    f = np.linspace(1e9, 2e9, 51)
    s = rng.normal(size=(51, 2, 2)) * 0.3 + 1j * rng.normal(size=(51, 2, 2)) * 0.3
    p = br.write_touchstone(br.network(f, s), tmp_path / "d.s2p")
    by_skrf = skrf.Network(str(p))
    assert by_skrf.s_def == "power"
    a, b = read_touchstone(by_skrf), read_touchstone(p)
    assert np.array_equal(a.s, b.s) and np.array_equal(a.frequency, b.frequency) and np.array_equal(a.z0, b.z0)


def test_booster_takes_a_frequency_or_network_object():
    """The booster's entry points take a skrf.Frequency or Network as they take Hz."""
    import emboost as eb

    b = eb.Booster.from_disks(gaps=[8.2023e-3], thickness=[1e-3], permittivity=[9.4])
    freq = skrf.Frequency(18.9, 19.1, 5, unit="GHz")
    ref = b.boost_factor(freq.f)
    assert np.array_equal(b.boost_factor(freq), ref)
    ntw = skrf.Network(frequency=freq, s=np.zeros((5, 1, 1), complex))
    assert np.allclose(b.response(ntw).boost_factor, b.response(freq.f).boost_factor, rtol=0, atol=0)
    with pytest.raises(InputError, match="skrf.Frequency"):
        b.boost_factor("19 GHz")
