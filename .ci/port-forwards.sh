# Sourced, not run: remove_stale_port_forwards, used by .ci/run (before the tests), .ci/containers and
# stage9-scale-out/deploy/check-compose.sh (after they removed their containers).
#
# Why: podman's network backend (netavark) publishes a container's port with a DNAT rule in the nat table that sends
# every connection to 127.0.0.1:PORT to the container. When a container goes without netavark's teardown (killed,
# or removed by `podman system reset` after its API service was stopped), the rule stays, for a container address that
# no longer answers. The tests bind random ports: a ZooKeeper or a node that later binds such a port on this machine
# listens, but nothing reaches it, since connections are sent elsewhere (a CI run failed so: "ConnectionLoss" from a
# ZooKeeper that was up, and, in a rerun, "Connection refused" from a listening node).
#
# What it removes: every rule of netavark's NETAVARK-HOSTPORT-DNAT chain and its per-network NETAVARK-DN-* chains,
# and only when no container runs on this machine (no conmon process), so that every such forward is stale.
remove_stale_port_forwards() {
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -w -t nat -S NETAVARK-HOSTPORT-DNAT >/dev/null 2>&1 || return 0
  local forwards
  forwards=$(iptables -w -t nat -S NETAVARK-HOSTPORT-DNAT \
    | sed -n 's/.*--dport \([0-9][0-9]*\).*/\1/p' | paste -sd, -)
  [ -n "$forwards" ] || return 0
  if pgrep -x conmon >/dev/null 2>&1; then
    echo "port forwards of running containers left alone (tcp ports $forwards)"
    return 0
  fi
  iptables -w -t nat -F NETAVARK-HOSTPORT-DNAT
  local chain
  for chain in $(iptables -w -t nat -S | sed -n 's/^-N \(NETAVARK-DN-[A-Za-z0-9]*\)$/\1/p'); do
    iptables -w -t nat -F "$chain"
  done
  echo "removed stale port forwards that podman left for containers that are gone (tcp ports $forwards)"
}
