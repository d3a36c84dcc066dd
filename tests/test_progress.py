"""Run progress: a tqdm bar on a terminal, one plain line in logs, nothing when quiet."""

from __future__ import annotations

import io

import numpy as np

from emboost.core.runner import Progress, run_chunks


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_stream_gets_one_clean_line():
    log = io.StringIO()
    p = Progress(100, "mc", stream=log)
    for _ in range(10):
        p.update(10)
    p.close()
    p.close()  # idempotent
    text = log.getvalue()
    assert "\r" not in text and text.count("\n") == 1
    assert text.startswith("mc: 100/100 samples in ") and text.endswith(" s\n")


def test_terminal_gets_a_tqdm_bar():
    term = _Terminal()
    p = Progress(50, "refits", stream=term, unit="fits")
    p.update(20, force=True)
    p.update(30)
    p.close()
    text = term.getvalue()
    assert "refits" in text and "100%" in text and "50/50" in text and "fits" in text


def test_quiet_writes_nothing():
    for stream in (io.StringIO(), _Terminal()):
        p = Progress(5, quiet=True, stream=stream)
        p.update(5)
        p.close()
        assert stream.getvalue() == ""


def _square(context, samples):
    return {"y": np.asarray(samples) ** 2}


def test_run_chunks_reports_through_the_progress_line():
    log = io.StringIO()
    out = run_chunks(_square, None, np.arange(10.0), n=10, seed=1, chunk_size=3, workers=1,
                     label="demo", quiet=False, stream=log)
    assert np.array_equal(out.data["y"], np.arange(10.0) ** 2)
    assert log.getvalue().startswith("demo: 10/10 samples in ") and "\r" not in log.getvalue()
