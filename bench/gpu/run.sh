#!/usr/bin/env bash
# On the GPU machine (Python 3.12, torch, transformers; no registry): unpack the wheels that
# prepare.sh downloaded into a private site folder (no pip needed), then run the bench on CUDA.
#   bash bench/gpu/run.sh [extra bench arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
site="$here/site"
py="${PYTHON:-python3}"
if [ ! -d "$site" ]; then
  "$py" - "$here/wheels" "$site" <<'PY'
import pathlib, sys, zipfile
wheels, site = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
site.mkdir(parents=True)
for wheel in sorted(wheels.glob("*.whl")):
    zipfile.ZipFile(wheel).extractall(site)
    print("unpacked", wheel.name)
PY
fi
# our packages first, then the unpacked wheels, then what the machine has
export PYTHONPATH="$root:${PYTHONPATH:-}:$site"
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$py" -c "import torch, transformers, lm_eval; print('torch', torch.__version__, 'transformers', transformers.__version__, 'lm_eval', lm_eval.__version__)"
exec "$py" "$root/bench/evaluator_bench.py" --device cuda --json "${OUT:-$here}/gpu_bench.json" "$@"
