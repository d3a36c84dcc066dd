"""Host magnets: figures of merit against the published values (physics.md §1.8)."""

from __future__ import annotations

import pytest

from emboost.core.errors import SetupFileError
from emboost.reach.magnets import load_magnets


@pytest.fixture(scope="module")
def cat(root):
    return load_magnets(root / "models" / "magnets.toml")


def test_helioscope_figures_of_merit(cat):
    cast, baby, iaxo = cat["CAST"], cat["BabyIAXO"], cat["IAXO"]
    # B^2 L^2 A with the nominal central field: CAST 20.2 vs the published 21 (the published value uses
    # the real aperture and field map), so 5 %; BabyIAXO's published 232 (3-D map) and 326 (2-D map) bracket the uniform
    # 2 T estimate of 308
    assert cast.helioscope_fom == pytest.approx(cast.published_helioscope_fom, rel=0.05)
    assert baby.published_helioscope_fom <= baby.helioscope_fom <= baby.published_helioscope_fom_2d
    assert baby.helioscope_fom == pytest.approx(308, rel=0.01)
    # IAXO: "about 300x CAST"; 270x with the numbers above
    assert iaxo.helioscope_fom / cast.helioscope_fom == pytest.approx(iaxo.published_ratio_to_cast, rel=0.15)


def test_haloscope_figures_of_merit(cat):
    assert cat["BabyIAXO"].haloscope_fom_per_bore == pytest.approx(15.4, rel=0.01)
    assert cat["CAST"].field == 9.0 and cat["Morpurgo"].field == 1.6 and cat["DMRadio-m3"].field == 4.0


def test_bad_catalogue_names_the_key(tmp_path, root):
    text = (root / "models" / "magnets.toml").read_text().replace("bores = 8", "bores = -8")
    p = tmp_path / "m.toml"
    p.write_text(text)
    with pytest.raises(SetupFileError, match=r"magnet\[2\]\.bores"):
        load_magnets(p)
