"""Where the benchmark scripts find the repository and the shared data (one definition for all of them).

``DATA`` is ``$QUALIPRESS_DATA`` when set, else ``shared/data`` beside the repository (where ``tests/conftest.py``
looks too), resolved. The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("QUALIPRESS_DATA", ROOT.parent / "shared" / "data")).resolve()
