#!/usr/bin/env bash
# Call set-up load with media: runs bin/voiced with the embedded profile on
# a throw-away data directory, places short G.711 calls with sipp at a
# given rate, and prints sipp's outcome with voiced's CPU time and memory.
#
#   bench/sipp/load.sh [RATE] [CALLS] [HOLD_MS]     defaults: 300 3000 1000
#
# With LISTEN=0 the calls only hear the greeting (no VAD, no recognizer):
# the telephony path alone. By default the whole voice pipeline of the
# embedded profile runs, and sipp's pcap (speech) keeps the local
# recognizer busy.
#
# Needs `make build` and sipp (scripts/setup.sh test installs it).
set -euo pipefail
rate=${1:-300} calls=${2:-3000} hold=${3:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

ln -s /usr/share/sip-tester "$work/pcap"
sed "s/milliseconds=\"1000\"/milliseconds=\"$hold\"/" "$root/bench/sipp/uac_short.xml" > "$work/uac.xml"

# The embedded profile with room for the load: more calls and RTP ports.
asr=sphinx
[ "${LISTEN:-1}" = 0 ] && asr=none
sed -e 's/max_calls: .*/max_calls: 5000/' -e 's/rtp_ports: .*/rtp_ports: 20000-39999/' \
	-e "s/asr: {backend: sphinx}/asr: {backend: $asr}/" \
	-e "s#knowledge: \[demo\]#knowledge: [$root/configs/demo]#" \
	"$root/configs/embedded.yaml" > "$work/voiced.yaml"

VOICED_DATA_DIR="$work/data" "$root/bin/voiced" serve --config "$work/voiced.yaml" \
	--http 127.0.0.1:18080 --sip 127.0.0.1:15060 2> "$work/voiced.log" &
pid=$!
until grep -q 'msg=ready' "$work/voiced.log"; do sleep 0.2; done

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
active() { curl -s http://127.0.0.1:18080/metrics | awk '/^voiced_sip_calls_active / {print $2}'; }
hz=$(getconf CLK_TCK)
rss0=$(rss)
# Sample memory and concurrent calls while the load runs.
(while kill -0 "$pid" 2>/dev/null; do echo "$(rss) $(active)"; sleep 0.5; done) > "$work/samples" &
sampler=$!
t0=$(ticks) s0=$(date +%s.%N)
(cd "$work" && sipp 127.0.0.1:15060 -sf uac.xml -s demo -i 127.0.0.1 -p 15070 \
	-mi 127.0.0.1 -mp 16000 -r "$rate" -m "$calls" -l $((rate * (hold + 500) / 1000 + 50)) \
	-nostdin -timeout 300s -timeout_error -trace_stat -stf stat.csv) > "$work/sipp.out" 2>&1 || true
t1=$(ticks) s1=$(date +%s.%N)
kill "$sampler"

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
awk -v rss0="$rss0" '$2 > calls { calls = $2; rss = $1 } END {
	printf "peak concurrent calls: %d, rss then %.0f MiB (%.0f MiB before the load), %.2f MiB per call\n",
		calls, rss / 1024, rss0 / 1024, (rss - rss0) / 1024 / (calls ? calls : 1)
}' "$work/samples"
echo "voiced warnings and errors: $(grep -c 'level=WARN\|level=ERROR' "$work/voiced.log")"
grep 'level=WARN\|level=ERROR' "$work/voiced.log" | sed 's/.*msg=//; s/ call_id=[^ ]*//' |
	cut -c1-100 | sort | uniq -c | sort -rn | head -5
