#!/usr/bin/env bash
# Wait until a /readyz URL answers 200, retrying; fail (and print the last answer) after the timeout.
#   infra/scripts/wait-ready.sh https://api.example.com/readyz 300
set -euo pipefail
url="$1"
timeout="${2:-300}"
deadline=$(( $(date +%s) + timeout ))
body=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  if body=$(curl --silent --show-error --max-time 10 --fail-with-body "$url" 2>&1); then
    echo "ready: $body"
    exit 0
  fi
  echo "not ready yet: ${body:0:300}"
  sleep 10
done
echo "NOT READY after ${timeout}s: $body" >&2
exit 1
