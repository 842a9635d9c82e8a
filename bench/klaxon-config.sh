# Sourced by bench/bench.sh and bench/threads.sh: the Klaxon configuration both load.
# write_klaxon_config DIR PORT TOKEN: one Alertmanager integration (TOKEN, no practical rate
# limit), one person, one schedule, one policy, no channels; SQLite at DIR/bench.db.
write_klaxon_config() {
    local dir=$1 port=$2 token=$3
    mkdir -p "$dir/Rotations"
    cat > "$dir/klaxon.yaml" <<EOF
server:
  listen: 127.0.0.1:$port
storage: sqlite:./bench.db
time_zone: UTC
integrations:
  - {name: am, kind: alertmanager, token: $token, team: bench, rate_limit: {per_second: 10000000}}
EOF
    cat > "$dir/Rotations/people.yaml" <<'EOF'
people:
  - {id: p, name: P, time_zone: UTC}
EOF
    cat > "$dir/Rotations/bench.yaml" <<'EOF'
team: bench
time_zone: UTC
schedules:
  - id: primary
    layers:
      - name: weekly
        rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
        members: [p]
escalation_policies:
  - id: default
    steps:
      - notify: [schedule:primary]
EOF
}
