#!/usr/bin/env bash
# The registry benchmark of issue 13: an environment pushed to and deployed from Debian's
# docker-registry (distribution 2.8) on loopback, then a one-package update.
#
#   bash bench/registry.sh                      # 1 GB / 50k files, split into ~230 packages
#   bash bench/registry.sh --size 4G --files 200000 --runs 3
#
# Options: --size S --files N (default 1G / 50000), --runs N (default 3), --seed N (default 1),
#   --work DIR (default /tmp/envship-bench-registry).
#
# It
#   1. generates the environment with bench/gen_env.py --split-packages (one conda record per
#      site-packages directory and big library), and packs it (v1.tar.zst);
#   2. starts docker-registry on 127.0.0.1 at a free port, storage under the work directory;
#   3. times `envship push v1.tar.zst oci://…:v1` into an empty repository, RUNS times (a new
#      repository each run, so every blob is uploaded);
#   4. times, alternating, `envship deploy oci://…:v1` with an empty blob cache and
#      `envship deploy v1.tar.zst`, RUNS times, each into a fresh directory;
#   5. changes one package (a file of bench-pkg007 rewritten, its record renamed to version 1.1),
#      packs v2, pushes it (bytes uploaded) and deploys it with --replace over a v1 deploy from
#      the registry, with the v1 blob cache and with --no-cache (bytes fetched);
# and prints a markdown table. Deploys go to the work directory's disk; the registry is on the
# same machine, so the network is loopback: the times show envship's cost, not a link's.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
size=1G files=50000 runs=3 seed=1 work=/tmp/envship-bench-registry
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/registry.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "bench: $*" >&2; }
for tool in docker-registry jq python3; do
  command -v "$tool" >/dev/null || { echo "bench/registry.sh: needs $tool (apt-get install ${tool/jq/jq})" >&2; exit 2; }
done
mkdir -p "$work"
work=$(cd "$work" && pwd)

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
secs() { awk -v ms="$1" 'BEGIN {printf "%.2f s", ms / 1000}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
timed() { local -n _out=$1; shift; local t0; t0=$(now_ns); "$@"; _out+=($(( ($(now_ns) - t0) / 1000000 ))); }

log "dotnet publish src/Envship.Cli -c Release -o $work/bin"
dotnet publish "$repo/src/Envship.Cli" -c Release -o "$work/bin" -v q --nologo >/dev/null
envship=("$work/bin/envship")

# ---- the environment, v1 and v2 ------------------------------------------------------------
env="$work/env-$size-$files-$seed"
if [ ! -d "$env/conda-meta" ]; then
  rm -rf "$env"
  python3 "$repo/bench/gen_env.py" "$env" --size "$size" --files "$files" --seed "$seed" --split-packages
fi
rm -f "$work/v1.tar.zst" "$work/v2.tar.zst"
"${envship[@]}" pack -p "$env" -o "$work/v1.tar.zst" -q
packages=$(ls "$env/conda-meta"/*.json | wc -l)

v2="$work/env-v2"
rm -rf "$v2" && cp -a "$env" "$v2"
python3 - "$v2" <<'EOF'
import json, os, sys
prefix = sys.argv[1]
meta = os.path.join(prefix, "conda-meta")
old = os.path.join(meta, "bench-pkg007-1.0-0.json")
record = json.load(open(old))
changed = next(f for f in record["files"] if f.endswith(".py"))
with open(os.path.join(prefix, changed), "a") as f:
    f.write("\n# bench: changed in version 1.1\n")
record["version"], record["fn"] = "1.1", "bench-pkg007-1.1-0.conda"
os.remove(old)
json.dump(record, open(os.path.join(meta, "bench-pkg007-1.1-0.json"), "w"))
EOF
# Layers hold the files as packed, prefix included: v2 is packed at v1's path, as an environment
# updated in place would be, so its unchanged packages give the same layers.
mv "$env" "$env.v1" && mv "$v2" "$env"
"${envship[@]}" pack -p "$env" -o "$work/v2.tar.zst" -q
mv "$env" "$v2" && mv "$env.v1" "$env"

# ---- the registry ----------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$work/registry" && mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
host="127.0.0.1:$port"

# ---- push, deploy ----------------------------------------------------------------------------
push_ms=() registry_ms=() local_ms=()
for ((run = 1; run <= runs; run++)); do
  log "run $run/$runs: push"
  timed push_ms "${envship[@]}" push "$work/v1.tar.zst" "oci://$host/bench/run$run:v1" -q >/dev/null
  # Sides alternate, and their order flips each run.
  sides=(registry local); [ $((run % 2)) -eq 0 ] && sides=(local registry)
  for side in "${sides[@]}"; do
    rm -rf "$work/dest" "$work/cache"
    if [ "$side" = registry ]; then
      timed registry_ms "${envship[@]}" deploy "oci://$host/bench/run$run:v1" --prefix "$work/dest" --cache-dir "$work/cache" -q >/dev/null
    else
      timed local_ms "${envship[@]}" deploy "$work/v1.tar.zst" --prefix "$work/dest" -q >/dev/null
    fi
  done
done

full_bytes=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$host/v2/bench/run1/manifests/v1" \
  | jq '[.layers[].size, .config.size] | add')
pushed_v2=$("${envship[@]}" push "$work/v2.tar.zst" "oci://$host/bench/run1:v2" --json)
uploaded_v2=$(jq '.bytes_uploaded' <<<"$pushed_v2")

update() {   # update FLAGS...: v1 from the registry, then v2 over it; prints v2's bytes fetched
  rm -rf "$work/dest" "$work/cache" "$work/.dest.envship" "$work/.dest.envship-"*
  "${envship[@]}" deploy "oci://$host/bench/run1:v1" --prefix "$work/dest" --cache-dir "$work/cache" -q >/dev/null
  "${envship[@]}" deploy "oci://$host/bench/run1:v2" --prefix "$work/dest" --replace --cache-dir "$work/cache" "$@" --json | jq '.transfer.bytes_fetched'
}
fetched_cached=$(update)
fetched_nocache=$(update --no-cache)

cat <<EOF

### Registry benchmark: $size / $files files, $packages packages, $runs runs (medians), docker-registry on loopback

| | |
|---|---|
| push v1 (every blob uploaded) | $(secs "$(printf '%s\n' "${push_ms[@]}" | median)") |
| deploy v1 from the registry (empty cache) | $(secs "$(printf '%s\n' "${registry_ms[@]}" | median)") |
| deploy v1.tar.zst from local disk | $(secs "$(printf '%s\n' "${local_ms[@]}" | median)") |
| full deploy: blobs fetched | $(mib "$full_bytes") |
| one-package update: pushed | $(mib "$uploaded_v2") |
| one-package update: fetched (v1's blobs in the cache) | $(mib "$fetched_cached") |
| one-package update: fetched (--no-cache, reused from DEST) | $(mib "$fetched_nocache") |
EOF
