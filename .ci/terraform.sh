#!/usr/bin/env bash
# Prepares Terraform for the stack tests (`tests/terraform_stacks.rs`) and for running idp's AWS
# backend against a local AWS double: finds the `terraform` binary and a local provider mirror,
# writes a CLI configuration that installs providers from that mirror only, a plugin cache shared
# by every stack, and a throwaway certificate authority plus a server certificate for moto over
# HTTPS (the bootstrap stack's bucket policy denies requests without TLS, and moto enforces it).
#
#   eval "$(.ci/terraform.sh env)"   # prints the `export …` lines below, nothing else on stdout
#
#   CHECKPOINT_DISABLE     1 (no update check over the network)
#   TF_CLI_CONFIG_FILE     target/terraform/terraformrc (the mirror, no registry)
#   TF_PLUGIN_CACHE_DIR    target/terraform/plugin-cache (filled here, so parallel inits only link)
#   IDP_TEST_TERRAFORM     the terraform binary
#   IDP_TEST_TLS_CERT/KEY  the server certificate and key `.ci/moto.sh start-tls` serves
#   IDP_TEST_CA_BUNDLE     the CA that signed it (AWS_CA_BUNDLE / SSL_CERT_FILE for clients)
#
# The mirror is found at $IDP_TERRAFORM_MIRROR, else as the directory holding
# `registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*` under /opt, /usr/local and
# $HOME. Fails with a message saying what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/terraform"

log() { printf 'terraform.sh: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

find_terraform() {
  local bin="${IDP_TEST_TERRAFORM:-}"
  if [[ -n "$bin" ]]; then
    [[ -x "$bin" ]] || die "IDP_TEST_TERRAFORM=$bin is not an executable"
  else
    bin="$(command -v terraform || true)"
    [[ -n "$bin" ]] || die "no \`terraform\` on PATH: install Terraform >= 1.6 (or set IDP_TEST_TERRAFORM to its path)"
  fi
  printf '%s\n' "$bin"
}

find_mirror() {
  if [[ -n "${IDP_TERRAFORM_MIRROR:-}" ]]; then
    [[ -d "$IDP_TERRAFORM_MIRROR/registry.terraform.io" ]] ||
      die "IDP_TERRAFORM_MIRROR=$IDP_TERRAFORM_MIRROR holds no registry.terraform.io/ directory"
    printf '%s\n' "$IDP_TERRAFORM_MIRROR"
    return
  fi
  local found dir
  for dir in /opt /usr/local/share /usr/share "$HOME/.terraform.d"; do
    [[ -d "$dir" ]] || continue
    found="$(find "$dir" -path '*/registry.terraform.io/hashicorp/aws/*' -name 'terraform-provider-aws_*' -print -quit 2>/dev/null || true)"
    if [[ -n "$found" ]]; then
      # …/<mirror>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_…
      printf '%s\n' "${found%/registry.terraform.io/*}"
      return
    fi
  done
  die "no provider mirror with hashicorp/aws found (looked under /opt, /usr/local/share, /usr/share, ~/.terraform.d): set IDP_TERRAFORM_MIRROR to the directory holding registry.terraform.io/"
}

# A CA and a server certificate for 127.0.0.1, made once; kept while the CA is valid.
certificates() {
  local dir="$out/tls"
  mkdir -p "$dir"
  if [[ -f "$dir/server.pem" && -f "$dir/ca.pem" ]] && openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
    return
  fi
  command -v openssl >/dev/null || die "no \`openssl\` on PATH: it makes the throwaway CA for moto over HTTPS"
  log "making a throwaway CA and a server certificate for 127.0.0.1 in $dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=idp test CA" \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server-key.pem" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -days 30 -extfile "$dir/server.ext" -out "$dir/server.pem" >/dev/null 2>&1
  rm -f "$dir/server.csr" "$dir/server.ext"
}

# Fills the plugin cache once. Terraform's cache is not safe for concurrent installs (two
# parallel `init`s into an empty cache fail with "failed to create directory … file exists");
# once the provider is in it, parallel `init`s only link it.
warm_cache() {
  local bin="$1"
  if [[ -d "$out/plugin-cache/registry.terraform.io/hashicorp/aws" ]]; then
    return
  fi
  local dir
  dir="$(mktemp -d)"
  printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n' >"$dir/main.tf"
  log "filling the plugin cache from the mirror"
  if ! (cd "$dir" && TF_CLI_CONFIG_FILE="$out/terraformrc" TF_DATA_DIR="$dir/.terraform" "$bin" init -no-color -input=false -backend=false >"$out/warm-cache.log" 2>&1); then
    tail -n 20 "$out/warm-cache.log" >&2
    rm -rf "$dir"
    die "terraform init from the mirror failed (log: $out/warm-cache.log)"
  fi
  rm -rf "$dir"
}

env_lines() {
  local bin mirror version
  bin="$(find_terraform)"
  mirror="$(find_mirror)"
  mkdir -p "$out/plugin-cache"
  cat >"$out/terraformrc" <<EOF
# Written by .ci/terraform.sh: providers come from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
plugin_cache_dir = "$out/plugin-cache"
# Use the cache even where no lock file lists the provider's checksums yet (every new working
# copy): parallel inits then link from the cache instead of installing into it at once.
plugin_cache_may_break_dependency_lock_file = true
EOF
  # No update check (CHECKPOINT_DISABLE): it would reach the network.
  version="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$out/terraformrc" "$bin" version 2>/dev/null | head -n 1)"
  [[ -n "$version" ]] || die "\`$bin version\` failed"
  warm_cache "$bin"
  certificates
  log "$version at $bin; providers from $mirror"
  printf 'export CHECKPOINT_DISABLE=1\n'
  printf 'export TF_CLI_CONFIG_FILE=%q\n' "$out/terraformrc"
  printf 'export TF_PLUGIN_CACHE_DIR=%q\n' "$out/plugin-cache"
  printf 'export IDP_TEST_TERRAFORM=%q\n' "$bin"
  printf 'export IDP_TEST_TLS_CERT=%q\n' "$out/tls/server.pem"
  printf 'export IDP_TEST_TLS_KEY=%q\n' "$out/tls/server-key.pem"
  printf 'export IDP_TEST_CA_BUNDLE=%q\n' "$out/tls/ca.pem"
}

case "${1:-env}" in
  env) env_lines ;;
  *)
    log "usage: .ci/terraform.sh [env]"
    exit 2
    ;;
esac
