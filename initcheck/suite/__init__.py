"""The battery as pytest tests: ``pytest --pyargs initcheck.suite --initcheck-backend NAME``."""
