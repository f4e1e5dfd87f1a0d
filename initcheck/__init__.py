"""initcheck: a statistical conformance checker for parameter initializers."""

from initcheck.backends import Backend, BackendLoadError, load_backend
from initcheck.results import CheckResult, Report
from initcheck.spec import CATALOG, Spec

__version__ = "0.1.0"

__all__ = [
    "CATALOG",
    "Backend",
    "BackendLoadError",
    "CheckResult",
    "Report",
    "Spec",
    "__version__",
    "load_backend",
]
