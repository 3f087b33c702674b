#!/usr/bin/env bash
# Creates the nodes of a network in DIR, one directory each (DIR/ID/node.toml, DIR/ID/data/):
# keys, a self-signed TLS certificate per node, the genesis (the Secretariat as root, every
# node a witness), and each node's peers and the certificates it trusts for them.
#
#   network.sh DIR ID:PARTY:HOST:PORT...      the first node is the Secretariat
#
# HOST:PORT is where the others reach a node and names its did:web; it listens on
# CITES_LISTEN_HOST:PORT (default HOST, which must then be an IP address). Does nothing when
# DIR already holds the first node, so a container can run it on every start. The compose
# file and the end-to-end test `docker_network_commands_set_up_a_network` both run it.
set -euo pipefail
bin="${CITES_NODE:-cites-node}"
if [ $# -lt 3 ]; then
  echo "usage: network.sh DIR SECRETARIAT_ID:PARTY:HOST:PORT MA_ID:PARTY:HOST:PORT..." >&2
  exit 2
fi
dir="$1"
shift
first="${1%%:*}"
if [ -e "$dir/$first/node.toml" ]; then
  echo "network: $dir/$first/node.toml exists; nothing to do"
  exit 0
fi

ids=()
witnesses=()
role=secretariat
for spec in "$@"; do
  IFS=: read -r id party host port <<<"$spec"
  if [ -z "$port" ]; then
    echo "network: $spec is not ID:PARTY:HOST:PORT" >&2
    exit 2
  fi
  name="Management Authority of $party"
  [ "$role" = secretariat ] && name="CITES Secretariat"
  mkdir -p "$dir/$id"
  out=$("$bin" init --config "$dir/$id/node.toml" --role "$role" --name "$name" \
    --party "$party" --log-origin "cites.network/$id" --did "did:web:$host%3A$port" \
    --listen "${CITES_LISTEN_HOST:-$host}:$port" --data-dir data --tls-self-signed)
  echo "$out" | sed "s/^/network: $id: /"
  witnesses+=(--witness "$(echo "$out" | sed -n 's/^witness key: //p')")
  ids+=("$id")
  eval "url_$id=https://$host:$port"
  role=management-authority
done

"$bin" genesis new --config "$dir/$first/node.toml" --network cites-network \
  "${witnesses[@]}" --out "$dir/$first/genesis.json"

for id in "${ids[@]}"; do
  peers=()
  trust=()
  mkdir -p "$dir/$id/trust"
  [ "$id" = "$first" ] || cp "$dir/$first/genesis.json" "$dir/$id/genesis.json"
  for other in "${ids[@]}"; do
    [ "$other" = "$id" ] && continue
    cp "$dir/$other/data/tls/cert.pem" "$dir/$id/trust/$other.pem"
    url="url_$other"
    peers+=("\"${!url}\"")
    trust+=("\"trust/$other.pem\"")
  done
  config="$dir/$id/node.toml"
  # Top-level keys go before the file's first table.
  {
    sed '/^\[/,$d' "$config"
    echo "genesis = \"genesis.json\""
    echo "peers = [$(IFS=,; echo "${peers[*]}")]"
    echo "trust_ca = [$(IFS=,; echo "${trust[*]}")]"
    sed -n '/^\[/,$p' "$config"
  } >"$config.new"
  mv "$config.new" "$config"
done
echo "network: ${#ids[@]} nodes in $dir; start each with: cites-node run --config $dir/ID/node.toml"
