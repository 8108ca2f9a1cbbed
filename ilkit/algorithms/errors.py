"""What can go wrong before or during training (each a one-line message on the CLI)."""

from ilkit.errors import IlkitError


class ConfigError(IlkitError):
    """An unknown config key, a value of the wrong type, or an out-of-range value."""


class UnknownAlgorithmError(ConfigError):
    """No algorithm of that name is registered."""


class TrainingError(IlkitError):
    """Training could not run: missing demonstrations, an expert, too little data, ..."""
