#!/bin/sh
# Measures training throughput of gozoo against its peers side by side:
# the hand-written Gorgonia loop (../shared/peers/gorgonia-raw) and PyTorch
# CPU (../shared/peers/torch_mnist.py), alternating runs so that machine noise
# hits all of them alike. Prints each run's per-epoch samples/s and the
# medians and ratios.
#
#   scripts/bench_peers.sh [mlp|lenet5] [ROUNDS] [EPOCHS]
set -eu
model=${1:-mlp}
rounds=${2:-3}
epochs=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$root/../shared/peers}
data=$(go run "$root/scripts/mnistdir")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/gozoo" "$root/cmd/gozoo"
if [ "$model" = mlp ]; then
	(cd "$peers/gorgonia-raw" && go build -o "$work/gorgonia-raw" .)
fi

rate() { grep -o '"samples_per_sec": *[0-9.e+]*' | sed 's/.*: *//'; }

for r in $(seq "$rounds"); do
	"$work/gozoo" train -model "$model" -epochs "$epochs" -json -quiet | rate | sed 's/^/gozoo /' >>"$work/rates"
	if [ "$model" = mlp ]; then
		"$work/gorgonia-raw" -data "$data" -epochs "$epochs" | rate | sed 's/^/gorgonia-raw /' >>"$work/rates"
	fi
	/usr/bin/python3 "$peers/torch_mnist.py" --model "$model" --data "$data" --epochs "$epochs" 2>/dev/null |
		rate | sed 's/^/pytorch /' >>"$work/rates"
	echo "round $r done" >&2
done
cat "$work/rates"
python3 - "$work/rates" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    name, v = line.split()
    rates.setdefault(name, []).append(float(v))
med = {k: statistics.median(v) for k, v in rates.items()}
for k, v in med.items():
    print(f"median {k}: {v:.0f} samples/s over {len(rates[k])} epochs")
for k in med:
    if k != "gozoo":
        print(f"ratio gozoo/{k}: {med['gozoo'] / med[k]:.2f}")
PY
