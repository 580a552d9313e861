#!/usr/bin/env bash
# Download, on a machine with a package registry, what the GPU machine lacks to run the baseline:
# lm-evaluation-harness and the few pure-Python packages its HFLM path imports (plus psutil, which
# accelerate needs), as wheels for CPython 3.12 on x86-64 Linux, into bench/gpu/wheels/ (< 64 MiB).
# The GPU machine already has torch, transformers and their dependencies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pip="${PIP:-$here/../../.venv/bin/pip}"
rm -rf "$here/wheels" && mkdir -p "$here/wheels"
"$pip" download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform any \
  -d "$here/wheels" \
  lm_eval==0.4.13 accelerate==1.15.0 psutil==7.2.2 dill==0.4.1 requests==2.34.2 urllib3==2.8.0 \
  certifi==2026.10.19.post1 idna==3.20 charset-normalizer chardet==6.0.0.post1
du -sh "$here/wheels"
ls "$here/wheels"
