#!/usr/bin/env bash
# Create the annotated release tags listed in scripts/releases.txt (idempotent).
# A tag that exists at another commit is an error: releases never move.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while read -r tag commit description; do
  [[ -z "$tag" || "$tag" == \#* ]] && continue
  if ! git cat-file -e "${commit}^{commit}" 2>/dev/null; then
    echo "$tag: commit $commit is not in this clone (a shallow clone? git fetch --unshallow)" >&2
    status=1
    continue
  fi
  if existing=$(git rev-parse --verify --quiet "refs/tags/${tag}^{commit}"); then
    if [[ "$existing" != "$commit" ]]; then
      echo "$tag: the tag points at $existing, scripts/releases.txt says $commit" >&2
      status=1
    fi
    continue
  fi
  git tag -a "$tag" "$commit" -m "Hourglass $tag: $description"
  echo "tagged $tag at ${commit:0:12}"
done < scripts/releases.txt
exit $status
