"""Reports: plots (returning figures) and the self-contained HTML report."""

from emboost.report.html import *  # noqa: F403  (the former module ``emboost.report``)
