"""Haloscope data analysis: from raw spectra to the grand unified spectrum, candidates and exclusion limits.

* :mod:`emboost.search.spectra` -- raw spectra (:class:`~emboost.search.spectra.RawSpectra`), two-LO
  division, Savitzky-Golay filters, alignment, grand unified spectrum, magnet-off subtraction (streamed);
* :mod:`emboost.search.scan` -- filtered SHM lineshape and filter efficiency, windowed fit, local and
  global significance, Bayesian and expected limits, conversion to g_agamma;
* :mod:`emboost.search.analysis` -- the whole chain in one call (:func:`~emboost.search.analysis.run_search`)
  and the end-to-end injection measurement of the filter efficiency;
* :mod:`emboost.search.synthetic` -- SYNTHETIC CAST-RADES-like spectra for tests and examples.

See docs/search.md.
"""
