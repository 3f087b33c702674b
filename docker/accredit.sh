#!/usr/bin/env bash
# The Secretariat accredits each MA node of a network made by network.sh, from the node's
# own accreditation request; an MA it already accredited is left alone.
#
#   accredit.sh DIR SECRETARIAT_ID=URL MA_ID=URL...
#
# The compose file and the end-to-end test `docker_network_commands_set_up_a_network` both
# run it, once every node answers.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: accredit.sh DIR SECRETARIAT_ID=URL MA_ID=URL..." >&2
  exit 2
fi
dir="$1"
sec="${2%%=*}"
sec_url="${2#*=}"
shift 2
token="$(cat "$dir/$sec/data/keys/api.token")"
curl_to() { curl --silent --show-error --fail-with-body --max-time 30 --retry 10 --retry-connrefused --retry-delay 1 "$@"; }
for spec in "$@"; do
  id="${spec%%=*}"
  url="${spec#*=}"
  request="$(curl_to --cacert "$dir/$id/data/tls/cert.pem" "$url/registry/accreditation-request")"
  did="$(echo "$request" | sed -n 's/.*"subject":"\([^"]*\)".*/\1/p')"
  known="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 \
    --cacert "$dir/$sec/data/tls/cert.pem" "$sec_url/1.0/identifiers/$did")"
  if [ "$known" = 200 ]; then
    echo "accredit: $id ($did) is accredited already"
    continue
  fi
  curl_to --cacert "$dir/$sec/data/tls/cert.pem" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' --data-binary "$request" "$sec_url/registry/entries" >/dev/null
  echo "accredit: $id ($did) accredited by $sec"
done
