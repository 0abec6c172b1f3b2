"""Run the ``kedro`` CLI as if kedro-telemetry were not installed at all.

``kedro_without_hooks.py`` blocks only the hooks and keeps ``kedro telemetry``;
this baseline also hides the plugin's global commands from Kedro, so that
``kedro --help`` prints exactly what Kedro prints without the plugin.
"""

import runpy
import sys
from pathlib import Path

import kedro.framework.cli.utils as cli_utils

_get_entry_points = cli_utils._get_entry_points


def _entry_points_without_telemetry(name):  # type: ignore[no-untyped-def]
    return [
        entry_point
        for entry_point in _get_entry_points(name)
        if not entry_point.value.startswith("kedro_telemetry")
    ]


cli_utils._get_entry_points = _entry_points_without_telemetry

if __name__ == "__main__":
    without_hooks = Path(__file__).with_name("kedro_without_hooks.py")
    sys.argv[0] = str(without_hooks)
    runpy.run_path(str(without_hooks), run_name="__main__")
