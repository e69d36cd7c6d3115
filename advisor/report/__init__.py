"""Reports: one self-contained HTML file per search or suggestion.

* :func:`write_search_report` (:func:`search_report_html`): a search's history, learning
  curves, hyperparameter importance (its own, and on the nearest knowledge-base datasets) and
  trials;
* :func:`write_suggest_report` (:func:`suggest_report_html`): the suggestions' predictions
  with their intervals beside the nearest datasets' outcomes, and their explanations.

Figures are PNGs drawn by matplotlib (the extra ``report``) on the Agg canvas and embedded as
``data:`` URIs: the file opens offline, in any browser, without JavaScript. This package does
not open the knowledge base; what a report shows of it the caller queries and passes as a
DataFrame (``kb_trials``, ``neighbour_outcomes``).
"""

from advisor.report.importance import Importances, kb_importances, kb_study, trial_importances
from advisor.report.search_report import search_report_html, write_search_report
from advisor.report.suggest_report import suggest_report_html, write_suggest_report

__all__ = [
    "Importances",
    "kb_importances",
    "kb_study",
    "search_report_html",
    "suggest_report_html",
    "trial_importances",
    "write_search_report",
    "write_suggest_report",
]
