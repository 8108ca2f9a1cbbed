"""ilkit: imitation learning on Hidden-Reward MDPs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ilkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

import ilkit.envs  # noqa: E402,F401  (registers the tasks with Gymnasium)
