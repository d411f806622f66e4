#!/usr/bin/env bash
# The seed's way, as its documentation describes it: list the environments with `aws s3 ls`,
# then `aws s3 cp …/metadata.json -` per environment and `jq`. Reads idp's records and the original
# platform's (no `status_changed_at`: a destroy is stuck once its `destroying_since` is 2 h old, or
# when it has none, as the original's ttl-cleanup decides).
#   shell-list.sh BUCKET list|sweep [SAMPLE]   (SAMPLE: only the first SAMPLE environments)
set -euo pipefail
bucket="$1" task="$2" sample="${3:-0}"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
stuck="$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)"
envs="$(aws s3 ls "s3://$bucket/environments/" | awk '/PRE/ {print $2}')"
if [[ "$sample" -gt 0 ]]; then envs="$(printf '%s\n' "$envs" | sed -n "1,${sample}p")"; fi
for env in $envs; do
  meta="$(aws s3 cp "s3://$bucket/environments/${env}metadata.json" -)"
  if [[ "$task" == list ]]; then
    printf '%s\n' "$meta" | jq -c 'select(.status != "destroyed") | {name, status, endpoint, expires_at}'
  else
    printf '%s\n' "$meta" | jq -r --arg now "$now" --arg stuck "$stuck" '
      if (.status == "active" or .status == "failed") and .expires_at < $now then "\(.name) expired"
      elif .status == "destroying" and (.status_changed_at // .destroying_since // "") < $stuck then "\(.name) stuck_destroying"
      else empty end'
  fi
done
