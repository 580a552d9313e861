#!/usr/bin/env bash
# Start (or reuse) the local Kafka and FerretDB, then write .run/services.env for
# the Makefile, tests and services to `source`. Both start in parallel.
set -euo pipefail
SERVICE=up
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$RUN_DIR" "$LOG_DIR"

start_prefixed() {
    local name="$1"
    set -o pipefail
    "$LOCAL_DIR/$name.sh" start 2>&1 | sed -u "s/^\[$name\] //; s/^/[$name] /"
}

start=$SECONDS
start_prefixed kafka &
kafka_job=$!
start_prefixed ferretdb &
ferretdb_job=$!
failed=()
wait "$kafka_job" || failed+=(kafka)
wait "$ferretdb_job" || failed+=(ferretdb)
((${#failed[@]} == 0)) || die "could not start: ${failed[*]} (logs in ${LOG_DIR#$ROOT/}/; stop with deploy/local/down.sh)"

env_file="$RUN_DIR/services.env"
cat >"$env_file.$$" <<ENV
PV_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(cat "$RUN_DIR/kafka.port")
PV_MONGO_URL=mongodb://127.0.0.1:$(cat "$RUN_DIR/ferretdb.port")/
ENV
mv "$env_file.$$" "$env_file"
say "both up in $((SECONDS - start))s; wrote ${env_file#$ROOT/}:"
sed 's/^/    /' "$env_file"
