#!/usr/bin/env bash
# The weight of the portal's main pages as each demo role of `scripts/dev.sh` sees them (HTML
# bytes; every page also loads /portal/style.css once). Usage: scripts/portal-weights.sh [NODE_URL]
set -euo pipefail
B=${1:-http://127.0.0.1:8701}
login() { # role cookiejar
  rm -f "$2"
  local n; n=$(curl -s -c "$2" -b "$2" "$B/portal/login" | grep -o 'name="nonce" value="[^"]*"' | cut -d'"' -f4)
  curl -s -o /dev/null -c "$2" -b "$2" "$B/portal/login" -d "nonce=$n&next=/portal&username=$1&password=cites-dev-$1"
}
size() { curl -s -o /dev/null -w "%{size_download}" -b "$1" "$B$2"; }
printf "%-16s %-40s %8s\n" role page bytes
printf "%-16s %-40s %8s\n" - /portal/login "$(size /dev/null /portal/login)"
printf "%-16s %-40s %8s\n" - /portal/style.css "$(size /dev/null /portal/style.css)"
for pair in applicant:/portal/applications applicant:/portal/applications/new ma-officer:/portal/queue ma-officer:/portal/applications ma-officer:/portal/dashboard sa-officer:/portal/queue customs-officer:/portal/customs auditor:/portal/network; do
  role=${pair%%:*}; page=${pair#*:}
  login "$role" /tmp/jar-$role
  printf "%-16s %-40s %8s\n" "$role" "$page" "$(size /tmp/jar-$role "$page")"
done
