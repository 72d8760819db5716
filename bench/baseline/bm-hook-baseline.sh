#!/bin/bash
# The seed's way, for `make bench` only (bench/README.md): a dhcpd hook that updates NetBox
# synchronously, while dhcpd waits. Written from the seed's description, not shipped:
#   commit IP MAC [HOSTNAME]
#   1. GET   /api/dcim/interfaces/?mac_address=MAC   the interface holding the MAC (exactly one, or give up)
#   2. GET   /api/dcim/devices/ID/                    its device
#   3. GET   /api/ipam/ip-addresses/?address=IP       is the IP known?
#   4. PATCH /api/ipam/ip-addresses/ID/  or  POST /api/ipam/ip-addresses/   put it on the interface
#   5. PATCH /api/dcim/devices/ID/                    oob_ip, and status offline → discovered
#   6. POST  /api/extras/journal-entries/             a journal entry
# Each request is one curl with a 20 s timeout; a failed one ends the run (the lease is not retried).
# NETBOX_URL and NETBOX_TOKEN_FILE from the environment; the token reaches curl through a 0600
# header file (`-H @file`), never through argv.
set -uo pipefail

[ "${1:-}" = commit ] && shift
IP=${1:?usage: bm-hook-baseline.sh commit IP MAC [HOSTNAME]}
MAC=${2:?usage: bm-hook-baseline.sh commit IP MAC [HOSTNAME]}
HOST=${3:-}
URL=${NETBOX_URL:?NETBOX_URL is not set}
TOKEN=$(<"${NETBOX_TOKEN_FILE:?NETBOX_TOKEN_FILE is not set}")

HEADERS=$(mktemp) || exit 1
trap 'rm -f "$HEADERS"' EXIT
chmod 600 "$HEADERS"
case $TOKEN in nbt_*) SCHEME=Bearer ;; *) SCHEME=Token ;; esac
printf 'Authorization: %s %s\nAccept: application/json\nContent-Type: application/json\n' "$SCHEME" "$TOKEN" >"$HEADERS"

log() { echo "bm-hook-baseline: $*" >&2; }
# api METHOD PATH [JSON]: the response body on stdout; non-zero on a timeout, a refused connection or an HTTP error.
api() {
  local args=(-sS --fail --max-time 20 -H @"$HEADERS" -X "$1")
  [ $# -ge 3 ] && args+=(--data "$3")
  curl "${args[@]}" "$URL$2"
}

ifaces=$(api GET "/api/dcim/interfaces/?mac_address=$MAC") || { log "interface lookup failed for $MAC"; exit 1; }
if [ "$(jq -r .count <<<"$ifaces")" != 1 ]; then log "no single interface with MAC $MAC"; exit 0; fi
iface_id=$(jq -r '.results[0].id' <<<"$ifaces")
device_id=$(jq -r '.results[0].device.id' <<<"$ifaces")

device=$(api GET "/api/dcim/devices/$device_id/") || { log "device $device_id lookup failed"; exit 1; }
status=$(jq -r '.status.value' <<<"$device")

ips=$(api GET "/api/ipam/ip-addresses/?address=$IP") || { log "IP lookup failed for $IP"; exit 1; }
assign=$(jq -nc --argjson id "$iface_id" '{assigned_object_type: "dcim.interface", assigned_object_id: $id}')
if [ "$(jq -r .count <<<"$ips")" -ge 1 ]; then
  ip_id=$(jq -r '.results[0].id' <<<"$ips")
  api PATCH "/api/ipam/ip-addresses/$ip_id/" "$assign" >/dev/null || { log "IP $IP update failed"; exit 1; }
else
  body=$(jq -nc --arg a "$IP/32" --argjson id "$iface_id" '{address: $a, status: "dhcp", assigned_object_type: "dcim.interface", assigned_object_id: $id}')
  ip_id=$(api POST /api/ipam/ip-addresses/ "$body" | jq -r .id) || { log "IP $IP creation failed"; exit 1; }
fi

if [ "$status" = offline ]; then
  patch=$(jq -nc --argjson ip "$ip_id" '{status: "discovered", oob_ip: $ip}')
else
  patch=$(jq -nc --argjson ip "$ip_id" '{oob_ip: $ip}')
fi
api PATCH "/api/dcim/devices/$device_id/" "$patch" >/dev/null || { log "device $device_id update failed"; exit 1; }

entry=$(jq -nc --argjson id "$device_id" --arg c "DHCP lease $IP for BMC $MAC${HOST:+ ($HOST)}" \
  '{assigned_object_type: "dcim.device", assigned_object_id: $id, kind: "info", comments: $c}')
api POST /api/extras/journal-entries/ "$entry" >/dev/null || { log "journal entry for device $device_id failed"; exit 1; }
exit 0
