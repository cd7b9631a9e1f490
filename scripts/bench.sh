#!/usr/bin/env bash
# wscope's performance measurements, side by side in one run on this
# machine: the Go benchmarks (ingest against a bare gorilla reader, the
# frame log at a million frames, memory per frame, large frames) and the
# real binary (probe ingest, the TUI under a firehose in tmux, first paint,
# RSS). Prints ratios; the results table lives in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
bin=$(mktemp -d)/wscope
go build -o "$bin" .

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== ingest: bare gorilla reader vs wscope probe (in-process, /firehose, 64-byte messages, 5 runs each)"
out=$(go test -run '^$' -bench Firehose -benchtime 5x -count 5 ./probe)
g=$(echo "$out" | awk '/Firehose\/gorilla/ {print $(NF-1)}' | median)
p=$(echo "$out" | awk '/Firehose\/probe-2/ {print $(NF-1)}' | median)
r=$(echo "$out" | awk '/Firehose\/probe-record/ {print $(NF-1)}' | median)
printf "  gorilla %.0f msgs/s, probe %.0f msgs/s (ratio %.2f, target >= 0.8), probe --record %.0f msgs/s (ratio %.2f, target >= 0.6)\n" \
  "$g" "$p" "$(echo "$p / $g" | bc -l)" "$r" "$(echo "$r / $g" | bc -l)"

echo "== ingest over HTTP/2 (RFC 8441) vs HTTP/1.1: the same TLS firehose through wscope probe (3 runs each)"
out=$(go test -run '^$' -bench FirehoseHTTP2 -benchtime 3x -count 3 ./probe)
for size in 64B 16384B; do
  a=$(echo "$out" | awk -v s="http1.1/$size" '$1 ~ s {print $(NF-1)}' | median)
  h=$(echo "$out" | awk -v s="http2/$size" '$1 ~ s {print $(NF-1)}' | median)
  printf "  %s messages: HTTP/1.1 %.0f msgs/s, HTTP/2 %.0f msgs/s (ratio %.2f, target >= 0.7)\n" "$size" "$a" "$h" "$(echo "$h / $a" | bc -l)"
done

echo "== frame log at 1,000,000 frames (go test -bench LogMillion, LogMemory, LargeFrame)"
go test -run '^$' -bench 'LogMillion|LogMemory|LargeFrame' -benchtime 10x ./ui | grep Benchmark | sed 's/^/  /'

addr=127.0.0.1:$((20000 + RANDOM % 20000))
"$bin" serve --addr "$addr" >/dev/null 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
sleep 0.5

echo "== the real binary: wscope probe --count $N --quiet against wscope serve"
/usr/bin/time -f "  wall %e s, max RSS %M KB" "$bin" probe "ws://$addr/firehose?n=$N&size=64" --count "$N" --quiet | sed 's/^/  /'

if command -v tmux >/dev/null; then
  sock=$(mktemp -u)
  shot() { tmux -S "$sock" capture-pane -p -t b; }
  echo "== the TUI in tmux: $N messages from /firehose"
  tmux -S "$sock" new-session -d -s b -x 160 -y 45 "env TERM=xterm-256color HOME=$(mktemp -d) $bin 'ws://$addr/firehose?n=$N&size=64'; sleep 60"
  t0=$(date +%s%N)
  until shot | grep -q "↓ $N "; do sleep 0.01; done
  t1=$(date +%s%N)
  echo "  all $N messages counted on screen after $(( (t1 - t0) / 1000000 )) ms (target < 2000 ms; wscat needs about 38 s)"
  echo "  RSS after: $(ps -o rss= -p "$(pgrep -f "$bin ws://$addr/firehose" | head -1)") KB"
  tmux -S "$sock" kill-server

  echo "== keypress latency during a 3,000,000-message firehose (help overlay, 3 presses)"
  tmux -S "$sock" new-session -d -s b -x 160 -y 45 "env TERM=xterm-256color HOME=$(mktemp -d) $bin 'ws://$addr/firehose?n=3000000&size=64'; sleep 60"
  sleep 0.8
  for i in 1 2 3; do
    t0=$(date +%s%N); tmux -S "$sock" send-keys -t b "?"
    until shot | grep -q "any key closes"; do sleep 0.002; done
    echo "  help shown after $(( ($(date +%s%N) - t0) / 1000000 )) ms (target <= 100 ms; includes tmux polling)"
    tmux -S "$sock" send-keys -t b x
    while shot | grep -q "any key closes"; do sleep 0.002; done
  done
  tmux -S "$sock" kill-server

  echo "== start to first paint (3 runs)"
  for i in 1 2 3; do
    tmux -S "$sock" new-session -d -s b -x 160 -y 45 "sleep 0.3; date +%s%N > $sock.t0; env TERM=xterm-256color HOME=$(mktemp -d) $bin ws://$addr/echo; sleep 30"
    until shot | grep -q "●"; do sleep 0.002; done
    echo "  first paint after $(( ($(date +%s%N) - $(cat "$sock.t0")) / 1000000 )) ms (target <= 100 ms)"
    tmux -S "$sock" kill-server
  done
  rm -f "$sock.t0"
else
  echo "== tmux not installed: TUI measurements skipped (Debian package: tmux)"
fi
