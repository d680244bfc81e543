# bench/peer_configs.sh: the config files of the peers (NSD, Knot, Unbound, Knot Resolver) for the benchmarks,
# one function each; sourced by run.sh and callgrind_hits.sh so both measure the same setups.

# NSD_SERVER_COUNT (default 1): NSD's server processes; above 1 each gets its own socket per
# address with SO_REUSEPORT (`reuseport: yes`; without it the processes would share one socket).
write_nsd_config() { # DIR ADDRESSES PORT ORIGIN=FILE...
    local dir=$1 addresses=$2 port=$3 servers=${NSD_SERVER_COUNT:-1}; shift 3
    {
        echo "server:"
        for address in $addresses; do echo "  ip-address: $address"; done
        echo "  port: $port"
        echo "  server-count: $servers"
        [ "$servers" -gt 1 ] && echo "  reuseport: yes"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  zonesdir: \"$dir\""
        echo "  database: \"\""
        echo "  pidfile: \"$dir/nsd.pid\""
        echo "  xfrdfile: \"$dir/xfrd.state\""
        echo "  zonelistfile: \"$dir/zone.list\""
        echo "  xfrdir: \"$dir\""
        echo "  verbosity: 0"
        echo "  hide-version: yes"
        # Debian's NSD is built with response rate limiting (200/s per netblock by default): it would
        # drop dnsperf's NXDOMAIN and wildcard answers. Knot and Unbound do not rate-limit by default.
        echo "  rrl-ratelimit: 0"
        echo "  rrl-whitelist-ratelimit: 0"
        echo "remote-control:"
        echo "  control-enable: yes"
        # An absolute path: a Unix socket, no TLS keys needed (nsd.conf(5)).
        echo "  control-interface: \"$dir/nsd.sock\""
        for zone in "$@"; do
            echo "zone:"
            echo "  name: \"${zone%%=*}\""
            echo "  zonefile: \"${zone#*=}\""
        done
    } >"$dir/nsd.conf"
}

# KNOT_UDP_WORKERS (default 1): Knot's UDP threads, each with its own SO_REUSEPORT socket.
write_knot_config() { # DIR ADDRESS PORT ORIGIN FILE
    local dir=$1
    cat >"$dir/knot.conf" <<EOF
server:
    rundir: "$dir"
    listen: $2@$3
    udp-workers: ${KNOT_UDP_WORKERS:-1}
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$dir"
control:
    listen: "$dir/knot.sock"
zone:
  - domain: "$4"
    file: "$5"
    zonefile-sync: -1
    journal-content: none
EOF
}

write_unbound_config() { # DIR ADDRESS PORT EXTRA-LINES...
    local dir=$1 address=$2 port=$3; shift 3
    {
        echo "server:"
        echo "  interface: $address@$port"
        echo "  port: $port"
        echo "  do-daemonize: no"
        echo "  chroot: \"\""
        echo "  username: \"\""
        echo "  directory: \"$dir\""
        echo "  pidfile: \"$dir/unbound.pid\""
        echo "  use-syslog: no"
        echo "  logfile: \"\""
        echo "  verbosity: 0"
        echo "  num-threads: 1"
        echo "  module-config: \"iterator\""
        echo "  do-not-query-localhost: no"
        echo "  access-control: 127.0.0.0/8 allow"
        echo "  do-ip6: no"
        # Large enough that nothing is evicted while measuring (the memory workload caches 100,000).
        echo "  msg-cache-size: 512m"
        echo "  rrset-cache-size: 1024m"
        echo "  local-zone: \"test.\" nodefault"
        for line in "$@"; do echo "$line"; done
        echo "remote-control:"
        echo "  control-enable: no"
    } >"$dir/unbound.conf"
}

write_kresd_config() { # DIR ADDRESS PORT EXTRA-LINES... (Lua)
    local dir=$1 address=$2 port=$3; shift 3
    {
        echo "net.listen('$address', $port, { kind = 'dns' })"
        echo "net.ipv6 = false"
        echo "log_level('warning')"
        # No DNSSEC, as Unbound's module-config: "iterator": Debian's kresd loads the root key.
        echo "trust_anchors.remove('.')"
        # kresd refuses test. (RFC 6761) with its special-names rules; Unbound gets local-zone nodefault.
        echo "policy.special_names = {}"
        # Large enough that nothing is evicted while measuring; the cache is an LMDB file in DIR.
        echo "cache.open(1024 * MB, 'lmdb://$dir/cache')"
        for line in "$@"; do echo "$line"; done
    } >"$dir/kresd.conf"
}
