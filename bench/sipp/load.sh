#!/usr/bin/env bash
# Call set-up load with media: runs bin/voiced with the embedded profile on
# a throw-away data directory, places short G.711 calls with sipp at a
# given rate, and prints sipp's outcome with voiced's CPU time and memory.
#
#   bench/sipp/load.sh [RATE] [CALLS] [HOLD_MS]     defaults: 300 3000 1000
#
# Needs `make build` and sipp (scripts/setup.sh test installs it).
set -euo pipefail
rate=${1:-300} calls=${2:-3000} hold=${3:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

ln -s /usr/share/sip-tester "$work/pcap"
sed "s/milliseconds=\"1000\"/milliseconds=\"$hold\"/" "$root/bench/sipp/uac_short.xml" > "$work/uac.xml"

VOICED_DATA_DIR="$work/data" "$root/bin/voiced" serve --config "$root/configs/embedded.yaml" \
	--http 127.0.0.1:18080 --sip 127.0.0.1:15060 2> "$work/voiced.log" &
pid=$!
until grep -q 'msg=ready' "$work/voiced.log"; do sleep 0.2; done

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks) s0=$(date +%s.%N)
(cd "$work" && sipp 127.0.0.1:15060 -sf uac.xml -s demo -i 127.0.0.1 -p 15070 \
	-mi 127.0.0.1 -mp 16000 -r "$rate" -m "$calls" -l $((rate * (hold + 500) / 1000 + 50)) \
	-nostdin -timeout 300s -timeout_error -trace_stat -stf stat.csv) > "$work/sipp.out" 2>&1 || true
t1=$(ticks) s1=$(date +%s.%N)

stat=$(tail -1 "$work/stat.csv")
field() { head -1 "$work/stat.csv" | tr ';' '\n' | grep -n "^$1\$" | cut -d: -f1; }
get() { echo "$stat" | cut -d';' -f"$(field "$1")"; }
ok=$(get "SuccessfulCall(C)") failed=$(get "FailedCall(C)")
awk -v ok="$ok" -v failed="$failed" -v calls="$calls" -v rate="$rate" -v s0="$s0" -v s1="$s1" \
	-v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {
	wall = s1 - s0; cpu = (t1 - t0) / hz
	printf "calls: %d ok, %d failed of %d at %d/s requested\n", ok, failed, calls, rate
	printf "wall time: %.1f s, %.1f completed calls/s\n", wall, ok / wall
	printf "voiced cpu: %.2f s, %.0f%% of one core, %.2f ms per call\n", cpu, 100 * cpu / wall, 1000 * cpu / ok
}'
echo "voiced peak rss: $(grep VmHWM "/proc/$pid/status" | awk '{print $2/1024 " MiB"}')"
grep -c 'level=WARN\|level=ERROR' "$work/voiced.log" | sed 's/^/voiced warnings and errors: /'
