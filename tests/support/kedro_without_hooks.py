"""Run the ``kedro`` CLI as if kedro-telemetry's hooks were not installed.

The baseline for "the command is unchanged by the plugin": pluggy is told to
block the plugin's entry points, so neither its CLI hooks nor its project hooks
are registered. Its ``kedro telemetry`` commands stay listed, so ``kedro info``
and ``kedro --help`` print the same plugin list in both runs.
"""

import sys

import pluggy

_load_entry_points = pluggy.PluginManager.load_setuptools_entrypoints


def _load_without_telemetry(self, group, name=None):  # type: ignore[no-untyped-def]
    self.set_blocked("kedro-telemetry")
    return _load_entry_points(self, group, name)


pluggy.PluginManager.load_setuptools_entrypoints = _load_without_telemetry  # type: ignore[method-assign]

from kedro.framework.cli.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "kedro"
    sys.exit(main())
