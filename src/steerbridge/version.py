"""The package version (a module of its own so any layer can cite it without the package face)."""

__version__ = "0.1.0"
