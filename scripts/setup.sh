#!/usr/bin/env bash
# One-time, idempotent set-up of everything qualipress needs on a fresh Debian machine:
# Debian packages (when run as root), a virtual environment in .venv, PyTorch CPU, the package with all extras,
# and the packages that must be installed without their declared dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${QUALIPRESS_VENV:-.venv}
STAMP="$VENV/.qualipress-setup"
want=$(cat pyproject.toml requirements/*.txt scripts/setup.sh | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exit 0
fi

# Debian tools: ffmpeg (FFV1 comparison), libjxl-devtools (butteraugli_main), chromium (browser tests).
apt_pkgs=()
command -v ffmpeg >/dev/null || apt_pkgs+=(ffmpeg)
command -v butteraugli_main >/dev/null || apt_pkgs+=(libjxl-devtools)
command -v chromium >/dev/null || apt_pkgs+=(chromium)
# Debian's python3 makes no virtual environment without python3-venv (ensurepip).
PY=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PY" -c "import ensurepip" 2>/dev/null || apt_pkgs+=(python3-venv)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: apt-get install ${apt_pkgs[*]}"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${apt_pkgs[@]}") >/dev/null 2>&1 || echo "setup: warning: apt-get failed; tests needing ${apt_pkgs[*]} will skip"
    else
        echo "setup: not root; optional Debian tools missing: ${apt_pkgs[*]} (tests that need them skip)"
    fi
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
$PIP install --upgrade pip >/dev/null
# CPU PyTorch first, so that nothing later resolves to a CUDA build. PyPI's own Linux torch wheel is the CUDA
# build, so the CPU wheel comes from PyTorch's CPU index (QUALIPRESS_TORCH_INDEX points elsewhere, e.g. a mirror).
# The configured indexes / find-links are asked first (offline where a wheel is on disk), PyTorch's index only after.
$PIP install "torch==2.13.0+cpu" 2>/dev/null ||
    $PIP install --extra-index-url "${QUALIPRESS_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}" "torch==2.13.0+cpu"
$PIP install -c requirements/constraints.txt -e ".[all,dev]"
$PIP install --no-deps -r requirements/no-deps.txt
$PIP install -c requirements/constraints.txt -r requirements/no-deps-needs.txt
# Guard: a CUDA torch or a torchvision sneaking in would break the CPU set-up.
"$VENV/bin/python" - <<'PY'
import importlib.util, sys
import torch
if "+cpu" not in torch.__version__ and torch.version.cuda is not None:
    sys.exit(f"setup: a CUDA build of torch was installed ({torch.__version__}); expected 2.13.0+cpu")
if importlib.util.find_spec("torchvision") is not None:
    sys.exit("setup: torchvision is installed; it pulls CUDA torch. Remove it.")
PY
echo "$want" > "$STAMP"
echo "setup: done ($VENV)"
