#!/usr/bin/env bash
# The seed's setup step, as it describes it: read the push event with jq, sanitize the branch
# into an environment name, read .idp/config.yml with yq (or use the defaults), decide.
#   shell-setup.sh EVENT_JSON CONFIG_YML
set -euo pipefail
event="$1" config="$2"
ref="$(jq -r '.ref' "$event")"
deleted="$(jq -r '.deleted // false' "$event")"
default_branch="$(jq -r '.repository.default_branch' "$event")"
branch="${ref#refs/heads/}"
core="$(printf '%s' "$branch" | sed -E 's#^(feature|bugfix|hotfix|fix|chore|release)/##I' \
  | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')"
env_name="preview-$core"
template=api-service ttl=7d port=80 cpu=256 memory=512
if [[ -s "$config" ]]; then
  template="$(yq -r '.template // "api-service"' "$config")"
  ttl="$(yq -r '.ttl // "7d"' "$config")"
  port="$(yq -r '.container_port // 80' "$config")"
  cpu="$(yq -r '.cpu // 256' "$config")"
  memory="$(yq -r '.memory // 512' "$config")"
fi
if [[ "$deleted" == true ]]; then action=destroy
elif [[ "$branch" == "$default_branch" ]]; then action=skip
else action=deploy; fi
printf 'env_name=%s\naction=%s\ntemplate=%s\nttl=%s\nport=%s\ncpu=%s\nmemory=%s\n' \
  "$env_name" "$action" "$template" "$ttl" "$port" "$cpu" "$memory"
