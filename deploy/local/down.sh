#!/usr/bin/env bash
# Stop the local Kafka and FerretDB (idempotent). Data stays in .run/; `rm -rf .run` wipes it.
set -euo pipefail
LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
"$LOCAL_DIR/kafka.sh" stop || status=1
"$LOCAL_DIR/ferretdb.sh" stop || status=1
rm -f "$LOCAL_DIR/../../.run/services.env"
exit "$status"
