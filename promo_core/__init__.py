"""PromoScope's core: data intake, segments, basket rules, A/B statistics and promotion planning.

Pure Python over pandas, scikit-learn, mlxtend and statsmodels; it never imports streamlit.
"""

from .quality import Dataset, QualityReport, clean_events, load_dataset
from .schema import COLUMNS, DataError, propose_mapping

__version__ = "0.1.0"
__all__ = ["COLUMNS", "DataError", "Dataset", "QualityReport", "clean_events", "load_dataset",
           "propose_mapping", "__version__"]
