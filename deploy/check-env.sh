#!/usr/bin/env bash
# Refuse a malformed number in the environment in one line, before anything starts
# (make run, deploy/serve.sh):
#
#   deploy/check-env.sh NAME:MIN:MAX ...     e.g.  PORT:1:65535 WEB_WORKERS:1:256
#
# An unset or empty NAME is skipped (its default applies). Exits 2 on the first bad value.
set -euo pipefail

for spec in "$@"; do
  IFS=: read -r name min max <<<"$spec"
  value="${!name-}"
  [[ -z "$value" ]] && continue
  # At most 9 digits, so that bash's arithmetic cannot overflow.
  if [[ ! "$value" =~ ^[0-9]{1,9}$ ]] || ((10#$value < min || 10#$value > max)); then
    echo "$name must be a whole number from $min to $max, not '$value'" >&2
    exit 2
  fi
done
