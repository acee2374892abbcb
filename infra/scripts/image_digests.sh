#!/usr/bin/env bash
# The digests of the images CI pushed for a commit, as the deploy script reads them (images.json):
#   image_digests.sh <commit> > images.json
# A deploy names images by digest, so what runs is exactly what CI tested, whatever a tag says later.
set -euo pipefail
commit="${1:?give the commit}"
prefix="ghcr.io/${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is set by GitHub}"
prefix="${prefix,,}/permitto"
json="{"
for image in auth permits files notifications gateway; do
  ref="$prefix-$image:$commit"
  digest=$(docker buildx imagetools inspect "$ref" --format '{{json .Manifest.Digest}}' | tr -d '"')
  if [ -z "$digest" ]; then
    echo "no image $ref: did CI pass and push this commit?" >&2
    exit 1
  fi
  json+="\"$image\": \"$prefix-$image@$digest\","
done
printf '%s}\n' "${json%,}"
