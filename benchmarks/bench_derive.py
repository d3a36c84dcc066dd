"""Speed of 'emboost derive' on the bundled SYNTHETIC campaign (fits/cb200_campaign.toml).

    python3 benchmarks/bench_derive.py                 # 1000 Monte-Carlo samples, the recipe's workers
    python3 benchmarks/bench_derive.py --samples 200

Prints the wall time of every stage of a fresh run, of a '--resume' rerun with every stage cached, and
compares the Monte-Carlo stage with a reference run in this process: a plain serial loop over the same
samples (``evaluate_samples`` one chunk at a time, no processes, no checkpoint).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fits" / "cb200_campaign.toml"


def main() -> None:
    from emboost.jobs.derive import STAGES, derive, load_campaign
    from emboost.jobs.derive_stages import Context, Progress, mc_model
    from emboost.jobs.inputs import Inputs
    from emboost.mc.engine import draw_samples, evaluate_samples

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--reference-samples", type=int, default=100,
                   help="samples of the serial reference loop (its per-sample time is compared)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "derive"
        t0 = time.perf_counter()
        res = derive(RECIPE, out, samples=args.samples, workers=args.workers, quiet=True)
        total = time.perf_counter() - t0
        print(f"emboost derive {RECIPE.relative_to(ROOT)}: {args.samples} samples, total {total:.1f} s "
              f"(limit 120 s for 1000 samples)")
        for s in STAGES:
            print(f"  {s.name:12s} {res.seconds[s.name]:7.2f} s  {s.title}")
        print(f"  {'report':12s} {res.seconds['report']:7.2f} s  report.html, results.json/.nc, PNGs")
        pk = res.summary["boost_factor"]
        print(f"peak {pk['mean']:.2f} +- {pk['std']:.2f} (95 % {pk['q2_5']:.2f}..{pk['q97_5']:.2f}); truth "
              f"{res.summary['truth']['peak']:.2f}, inside: {res.summary['truth']['peak_inside_95']}")
        t0 = time.perf_counter()
        again = derive(RECIPE, out, samples=args.samples, workers=args.workers, quiet=True, resume=True)
        t_resume = time.perf_counter() - t0
        assert set(again.stages.values()) == {"cached"}
        print(f"--resume with every stage cached: {t_resume:.2f} s ({total / t_resume:.0f}x faster than fresh)")
        # reference: the same pipeline per sample as a plain serial loop in this process
        r = load_campaign(RECIPE)
        ctx = Context(recipe=r, out=out, resume=True, quiet=True, samples=args.samples, seed=r.montecarlo.seed,
                      workers=1, progress=Progress(True), inputs=Inputs())
        import json

        for s in STAGES:
            ctx.results[s.name] = json.loads((out / "stages" / f"{s.name}.json").read_text())["result"]
        model, _ = mc_model(ctx)
        n = args.reference_samples
        draws = draw_samples(model, n, r.montecarlo.seed)
        t0 = time.perf_counter()
        for a in range(0, n, r.montecarlo.chunk_size):
            evaluate_samples(model, draws.slice(a, min(a + r.montecarlo.chunk_size, n)))
        serial = (time.perf_counter() - t0) / n
        mc = res.seconds["montecarlo"] / args.samples
        print(f"Monte-Carlo per sample: derive stage {1e3 * mc:.1f} ms (processes, checkpoints, statistics, plots) vs "
              f"serial reference loop {1e3 * serial:.1f} ms: ratio {serial / mc:.2f}")


if __name__ == "__main__":
    main()
