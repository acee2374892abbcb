#!/usr/bin/env bash
# The CI images job's steps (.github/workflows/ci.yml), one script so they run the same here and there:
#   ci_images.sh up     start docker-compose.yml with every process on the images built for this commit
#   ci_images.sh logs   what each container said (after a failure)
#   ci_images.sh push   push the tested images and print their digests (the job summary)
# PERMITTO_IMAGE_PREFIX (ghcr.io/<owner>/<repo>/permitto) and PERMITTO_IMAGE_TAG (the commit) name them.
set -euo pipefail
: "${PERMITTO_IMAGE_PREFIX:?set PERMITTO_IMAGE_PREFIX}"
: "${PERMITTO_IMAGE_TAG:?set PERMITTO_IMAGE_TAG}"
compose=(docker compose -f docker-compose.yml -f docker-compose.ci.yml)
images=(auth permits files notifications gateway)

case "${1:-}" in
  up)
    "${compose[@]}" up --detach --wait --wait-timeout 300
    ;;
  logs)
    "${compose[@]}" ps --all || true
    "${compose[@]}" logs --no-color --tail 200 || true
    ;;
  push)
    echo "| image | digest |"
    echo "|---|---|"
    for image in "${images[@]}"; do
      ref="$PERMITTO_IMAGE_PREFIX-$image:$PERMITTO_IMAGE_TAG"
      docker push --quiet "$ref" > /dev/null
      digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$ref")
      echo "| $image | \`$digest\` |"
    done
    ;;
  *)
    echo "usage: $0 up|logs|push" >&2
    exit 2
    ;;
esac
