"""Haloscope data analysis: from raw spectra to the grand unified spectrum, candidates and exclusion limits."""
