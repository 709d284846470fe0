#!/usr/bin/env bash
# lamina's throughput bench and the PyTorch reference, one after the
# other on the same machine, at 1 and 2 threads. Run on a quiet machine.
# Needs a venv with torch and numpy (see ../shared/reference/README.md):
#   python3 -m venv .venv-torch && .venv-torch/bin/pip install torch numpy
#   TORCH_PY=.venv-torch/bin/python tools/speed_vs_torch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
py=${TORCH_PY:-.venv-torch/bin/python}
ref=../shared/reference/torch_unet.py
for t in 2 1; do
    echo "== lamina, $t thread(s)"
    cargo bench --bench throughput -- --threads "$t"
    echo "== PyTorch, $t thread(s)"
    "$py" "$ref" --threads "$t" --train-batches 16 32 128 --repeats 7 \
        --epoch-profiles 3000
done
