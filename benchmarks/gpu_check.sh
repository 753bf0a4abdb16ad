#!/usr/bin/env bash
# One call on the GPU machine: the ∞-AE ML-1M benchmark with JAX on the GPU ("jax") next to the
# SciPy path on that machine's CPU ("scipy"), in the same call so that the ratio means something;
# then ∞-AE's test metrics on the GPU against the CPU's recorded ones (ML-1M, Gowalla in full and
# with a Nyström support; equal within 0.05 points); then Distill-CF's step on ML-1M (μ = 500,
# γ = 200, all users), where its time goes, and the update with its draws kept or made again
# (benchmarks/distill_store_draws.py), and with X·X̂ᵀ dense or sparse
# (benchmarks/distill_sparse_targets.py); then Distill-CF's step on Gowalla (μ = 500, γ = 200),
# all 29,858 users and a batch of 2,000 (benchmarks/distill_large.py --time-only: steps only, no
# validation; about a minute together).
#
# Prepare here (the device machine reaches no network and sees no ../shared):
#   mkdir -p .device-data/ml-1m && cp -r ../shared/data/ml-1m/paper .device-data/ml-1m/
#   cp -r ../shared/data/lightgcn-gowalla .device-data/
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl pooch==1.9.0 platformdirs
#   (both folders are git-ignored: the data's licence forbids committing it)
# Then call the device tool's run with:
#   command: bash benchmarks/gpu_check.sh     carry: [".device-data", ".whl"]     timeout_s: 540
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" WORKBENCH_DATA="$PWD/.device-data" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import jax; print('jax', jax.__version__, jax.devices())"
out="${OUT:-benchmarks/results}"
python3 benchmarks/infinite_ae_ml1m.py --repeats 3 --algebras jax,scipy --output "$out/infinite_ae_ml1m.gpu.json"
python3 benchmarks/gpu_metrics.py --output "$out/gpu_metrics.json"
python3 benchmarks/distill_ml1m.py --steps 8 --output "$out/distill_ml1m.gpu.json"
python3 benchmarks/distill_step_floor.py --repeats 5 --output "$out/distill_step_floor.gpu.json"
python3 benchmarks/distill_store_draws.py --rounds 3 --updates 5 --output "$out/distill_store_draws.gpu.json"
python3 benchmarks/distill_sparse_targets.py --rounds 3 --updates 4 --output "$out/distill_sparse_targets.gpu.json"
python3 benchmarks/distill_large.py --dataset gowalla --budget 500 --timing-steps 5 --time-only --output "$out/distill_large.gowalla.mu500.ball.gpu.json"
python3 benchmarks/distill_large.py --dataset gowalla --budget 500 --batch-users 2000 --timing-steps 5 --time-only --output "$out/distill_large.gowalla.mu500.b2000.gpu.json"
