#!/usr/bin/env bash
# Succeeds only when the CI workflow passed for this commit on a push (its images were built, tested
# and pushed then):   GH_TOKEN=… ci_passed.sh <commit>
set -euo pipefail
commit="${1:?give the commit}"
runs=$(gh api "repos/${GITHUB_REPOSITORY:?}/actions/workflows/ci.yml/runs?head_sha=$commit&event=push&status=success" \
  --jq '.total_count')
if [ "${runs:-0}" -lt 1 ]; then
  echo "CI has not passed for $commit on a push: nothing to deploy." >&2
  exit 1
fi
echo "CI passed for $commit ($runs run(s))."
