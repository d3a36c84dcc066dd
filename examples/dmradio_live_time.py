"""DMRadio-m3 live times from models/dmradio_m3.toml, beside the paper's numbers.

Run: python3 examples/dmradio_live_time.py
"""

from pathlib import Path

from emboost.pickup.breakdown import ratio_breakdown
from emboost.pickup.setup import live_time_table, load_pickup_model

MODEL = Path(__file__).resolve().parents[1] / "models" / "dmradio_m3.toml"


def main() -> None:
    model = load_pickup_model(MODEL)
    print(f"model: {MODEL.name} (toy transmission-line model; unknown design numbers are assumptions)")
    print(f"{'band':<22} {'copper / eta':<44} {'emboost':>10} {'paper':>10} {'ratio':>7}")
    for r in live_time_table(model):
        paper = "" if r["paper_years"] is None else f"paper {r['paper_years']:.1f} yr  ratio {r['ratio']:.2f}"
        print(f"{r['band']:<22} {r['copper'] + ' / eta ' + r['eta']:<44} {r['years']:7.2f} yr   {paper}")
        for c in r["per_coax"]:   # the scan plan: time each coax spends on its part of the band
            print(f"    {c['coax']:<8} {c['f_min_hz'] / 1e6:6.1f}-{c['f_max_hz'] / 1e6:6.1f} MHz  {c['years']:7.2f} yr")

    print("\nemboost / paper, baseline copper, broken into factors (see emboost.pickup.breakdown):")
    for b in ratio_breakdown(model):
        parts = ", ".join(f"{f['name']} x{f['factor']:.3g}" for f in b["factors"])
        print(f"{b['band']:<22} ratio {b['ratio']:.3g} = {parts}, remaining x{b['remaining']:.3g}")
        print(f"    {b['remaining_note']}")


if __name__ == "__main__":
    main()
