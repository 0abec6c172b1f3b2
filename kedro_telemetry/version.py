"""The plugin's version, in a module of its own so that any module can read it."""

__version__ = "1.0.0"
