#!/bin/sh
# Measures gozoo against its peers side by side: the hand-written Gorgonia
# loop (../shared/peers/gorgonia-raw, mlp only) and PyTorch CPU
# (../shared/peers/torch_mnist.py for training, scripts/torch_infer.py for
# inference and latency), alternating gozoo and PyTorch in every round so
# that machine noise hits all of them alike.
#
# Each round runs:
#   gozoo train -epochs EPOCHS        training samples/s per epoch, peak RSS
#   gorgonia-raw -epochs EPOCHS       (mlp) training samples/s per epoch
#   torch_mnist.py --epochs EPOCHS    training samples/s per epoch, peak RSS,
#                                     at 1 and at 2 torch threads, OpenBLAS at one
#   gozoo bench -json                 batch-256 inference samples/s, batch-1 latency
#                                     (and 200 timed TrainOnBatch steps)
#   torch_infer.py                    batch-256 inference samples/s, batch-1 latency
# then prints every figure and a table of medians with ratios against
# PyTorch at its best (the faster of 1 and 2 threads, named in the table).
# Peak RSS comes from /usr/bin/time -v; without it (apt-get install -y time)
# that row is skipped.
#
#   scripts/bench_peers.sh [mlp|lenet5] [ROUNDS] [EPOCHS]
#
# For the OpenBLAS build (needs libopenblas-dev and gcc):
#
#   GOZOO_BLAS=openblas scripts/bench_peers.sh mlp
set -eu
model=${1:-mlp}
rounds=${2:-3}
epochs=${3:-2}
case $model in
mlp | lenet5) ;;
*)
	echo "bench_peers.sh: model must be mlp or lenet5, got $model" >&2
	exit 1
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$root/../shared/peers}
python=/usr/bin/python3 # Debian's torch is installed for the system Python
data=$(go run "$root/scripts/mnistdir")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -x /usr/bin/time ]; then
	rss=1
else
	rss=0
	echo "bench_peers.sh: no /usr/bin/time, so no peak RSS row (install it: apt-get install -y time)" >&2
fi

if [ "${GOZOO_BLAS:-}" = openblas ]; then
	CGO_ENABLED=1 go build -tags openblas -o "$work/gozoo" "$root/cmd/gozoo"
else
	go build -o "$work/gozoo" "$root/cmd/gozoo"
fi
if [ "$model" = mlp ]; then
	(cd "$peers/gorgonia-raw" && go build -o "$work/gorgonia-raw" .)
fi

# field NAME: the numbers of every "NAME": value in JSON on stdin.
field() { grep -o "\"$1\": *[0-9.eE+-]*" | sed 's/.*: *//'; }

# rows LABEL: prefixes each line of stdin with LABEL into the table's input.
rows() { sed "s/^/$1 /" >>"$work/rows"; }

# peak WHO CMD...: runs CMD, under /usr/bin/time when there is one, and
# records its peak RSS in kB as "WHO rss KB".
peak() {
	who=$1
	shift
	if [ "$rss" = 0 ]; then
		"$@"
		return
	fi
	/usr/bin/time -v -o "$work/time-$who" "$@"
	sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time-$who" | rows "$who rss"
}

for r in $(seq "$rounds"); do
	peak gozoo "$work/gozoo" train -model "$model" -data "$data" -epochs "$epochs" -json -quiet >"$work/out"
	field samples_per_sec <"$work/out" | rows "gozoo train"
	if [ "$model" = mlp ]; then
		"$work/gorgonia-raw" -data "$data" -epochs "$epochs" | field samples_per_sec | rows "gorgonia-raw train"
	fi
	# PyTorch at its best: OpenBLAS held to one thread (its pthread pool
	# otherwise spins against torch's threads), 1 and 2 torch threads each
	# round, the faster kept (the table names which).
	for th in 1 2; do
		OPENBLAS_NUM_THREADS=1 peak "pytorch-${th}t" "$python" "$peers/torch_mnist.py" --model "$model" --data "$data" --epochs "$epochs" --threads "$th" >"$work/out" 2>/dev/null
		field samples_per_sec <"$work/out" | rows "pytorch-${th}t train"
	done

	"$work/gozoo" bench -model "$model" -data "$data" -json >"$work/out"
	field infer_samples_per_sec <"$work/out" | rows "gozoo infer"
	field latency_us_median <"$work/out" | rows "gozoo latency"
	field train_samples_per_sec <"$work/out" | rows "gozoo bench-train"
	for th in 1 2; do
		OPENBLAS_NUM_THREADS=1 "$python" "$root/scripts/torch_infer.py" --model "$model" --data "$data" --peers "$peers" --threads "$th" >"$work/out" 2>/dev/null
		field infer_samples_per_sec <"$work/out" | rows "pytorch-${th}t infer"
		field latency_us_median <"$work/out" | rows "pytorch-${th}t latency"
	done
	echo "round $r done" >&2
done
cat "$work/rows"
python3 - "$work/rows" "$model" "$rounds" "$epochs" <<'PY'
import statistics, sys
path, model, rounds, epochs = sys.argv[1:]
vals = {}
for line in open(path):
    who, what, v = line.split()
    vals.setdefault((who, what), []).append(float(v))
med = {k: statistics.median(v) for k, v in vals.items()}

def cell(who, what, scale=1.0):
    v = med.get((who, what))
    return None if v is None else v * scale

print(f"\n{model}, {rounds} rounds, {epochs} epochs each; medians. ratio = gozoo/pytorch at its best:")
print("bigger is better for the samples/s rows, smaller is better for latency and RSS.\n")
# PyTorch at its best: of 1 and 2 torch threads (OpenBLAS at one), the
# faster for each figure; peak RSS is that of the faster training.
def torch_best(what, scale):
    cands = [(cell(f"pytorch-{t}t", what, scale), t) for t in (1, 2)]
    cands = [(v, t) for v, t in cands if v is not None]
    if not cands:
        return None, None
    if what == "rss":
        _, t = torch_best("train", 1)
        v = cell(f"pytorch-{t}t", "rss", scale)
        return v, t
    return (min if what == "latency" else max)(cands)

print(f"{'':34} {'gozoo':>12} {'pytorch':>12} {'ratio':>7}  pytorch threads")
for label, what, scale in [
    ("training samples/s", "train", 1),
    ("batch-256 inference samples/s", "infer", 1),
    ("batch-1 latency median (us)", "latency", 1),
    ("peak RSS (MB)", "rss", 1 / 1024),
]:
    g = cell("gozoo", what, scale)
    p, threads = torch_best(what, scale)
    if g is None or p is None:
        print(f"{label:34} {'(not measured)':>12}")
        continue
    print(f"{label:34} {g:12.1f} {p:12.1f} {g / p:7.2f}  {threads}")
raw = cell("gorgonia-raw", "train")
if raw is not None:
    print(f"\ngorgonia-raw training: {raw:.0f} samples/s; gozoo/gorgonia-raw {med[('gozoo', 'train')] / raw:.2f}")
bt = cell("gozoo", "bench-train")
if bt is not None:
    print(f"gozoo bench training (timed TrainOnBatch steps, no epochs): {bt:.0f} samples/s")
PY
