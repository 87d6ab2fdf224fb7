#!/usr/bin/env bash
# Pack and deploy one prefix with envship and with the stock pipeline a user could type instead,
# alternating A/B in the same run, and print medians, ratios, sizes and peak RSS.
#
#   bash bench/core-compare.sh [PREFIX]
#
# With no PREFIX it copies the machine's own Python installation (sys.base_prefix: about 740 MB and
# 55k files here, the shape of a real CPython environment) and adds a conda-meta/ directory.
# RUNS (default 3) sets the runs per case; BENCH_WORK keeps the scratch directory.
# Deploys write to a tmpfs the script mounts (when it may), because a burst-throttled disk measures
# the throttling rather than the code; one more deploy of each kind goes to disk, labelled as such.
# The page cache is warm for both sides alike.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
work=${BENCH_WORK:-$(mktemp -d /tmp/envship-bench-XXXXXX)}
mkdir -p "$work"
command -v zstd >/dev/null && [ -x /usr/bin/time ] || { echo "needs zstd and GNU time (apt-get install zstd time)" >&2; exit 2; }

dotnet publish "$repo/src/Envship.Cli" -c Release -o "$work/bin" -v q --nologo >/dev/null
envship=(dotnet "$work/bin/envship.dll")

prefix=${1:-}
if [ -z "$prefix" ]; then
  base=$(python3 -c 'import sys; print(sys.base_prefix)')
  prefix="$work/src/python-env"
  if [ ! -d "$prefix" ]; then
    mkdir -p "$(dirname "$prefix")"
    cp -a "$base" "$prefix"
    mkdir -p "$prefix/conda-meta"
    printf '==> 2026-01-01 00:00:00 <==\n# cmd: bench\n' > "$prefix/conda-meta/history"
  fi
fi
files=$(find "$prefix" -type f | wc -l)
bytes=$(du -sb "$prefix" | cut -f1)

# now_ns; elapsed in milliseconds between two now_ns readings
now_ns() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
rss_mb() { awk '/Maximum resident/ {print int($6 / 1024)}' "$1"; }

deploy_root="$work"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$work/tmpfs" && mount -t tmpfs -o size=$(( bytes * 3 / 1048576 + 512 ))m envship-bench "$work/tmpfs" 2>/dev/null; then
  deploy_root="$work/tmpfs"
  trap 'umount "$work/tmpfs" 2>/dev/null || true' EXIT
fi
deploy_medium=$([ "$deploy_root" = "$work" ] && echo disk || echo tmpfs)

declare -a pack_ours pack_ref deploy_ours deploy_ref
for ((i = 1; i <= runs; i++)); do
  rm -f "$work/ours.tar.zst" "$work/ref.tar.zst"
  t0=$(now_ns); /usr/bin/time -v -o "$work/pack.time" "${envship[@]}" pack -p "$prefix" -o "$work/ours.tar.zst" -q 2>/dev/null; t1=$(now_ns)
  pack_ours+=("$(ms "$t0" "$t1")")
  t0=$(now_ns); tar -C "$prefix" -cf - . | zstd -T0 -3 -q -o "$work/ref.tar.zst"; t1=$(now_ns)
  pack_ref+=("$(ms "$t0" "$t1")")

  rm -rf "$deploy_root/deploy-ours" "$deploy_root/deploy-ref"; mkdir -p "$deploy_root/deploy-ref"; sync
  t0=$(now_ns); /usr/bin/time -v -o "$work/deploy.time" "${envship[@]}" deploy "$work/ours.tar.zst" --prefix "$deploy_root/deploy-ours" -q >/dev/null; t1=$(now_ns)
  deploy_ours+=("$(ms "$t0" "$t1")")
  t0=$(now_ns); zstd -dc "$work/ref.tar.zst" | tar -C "$deploy_root/deploy-ref" -x; t1=$(now_ns)
  deploy_ref+=("$(ms "$t0" "$t1")")
done
rm -rf "$deploy_root/deploy-ours" "$deploy_root/deploy-ref"

disk_ours=- disk_ref=-
if [ "$deploy_medium" = tmpfs ]; then
  rm -rf "$work/disk-ours" "$work/disk-ref"; mkdir -p "$work/disk-ref"; sync
  t0=$(now_ns); "${envship[@]}" deploy "$work/ours.tar.zst" --prefix "$work/disk-ours" -q >/dev/null; t1=$(now_ns); disk_ours=$(ms "$t0" "$t1")
  t0=$(now_ns); zstd -dc "$work/ref.tar.zst" | tar -C "$work/disk-ref" -x; t1=$(now_ns); disk_ref=$(ms "$t0" "$t1")
  rm -rf "$work/disk-ours" "$work/disk-ref"
fi

po=$(printf '%s\n' "${pack_ours[@]}" | median); pr=$(printf '%s\n' "${pack_ref[@]}" | median)
do_=$(printf '%s\n' "${deploy_ours[@]}" | median); dr=$(printf '%s\n' "${deploy_ref[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "prefix: $prefix ($files files, $((bytes / 1048576)) MiB), $runs runs each, $(nproc) cores"
echo
echo "| case | envship | reference | ratio | envship peak RSS |"
echo "|---|---|---|---|---|"
echo "| pack (zstd -3) | ${po} ms | ${pr} ms (tar -cf - . \| zstd -T0 -3) | $(ratio "$po" "$pr") | $(rss_mb "$work/pack.time") MB |"
echo "| deploy to $deploy_medium (verify + relocate) | ${do_} ms | ${dr} ms (zstd -dc \| tar -x) | $(ratio "$do_" "$dr") | $(rss_mb "$work/deploy.time") MB |"
[ "$disk_ours" = - ] || echo "| deploy to disk, one run | ${disk_ours} ms | ${disk_ref} ms | $(ratio "$disk_ours" "$disk_ref") | |"
echo "| archive size | $(stat -c %s "$work/ours.tar.zst") B | $(stat -c %s "$work/ref.tar.zst") B | $(ratio "$(stat -c %s "$work/ours.tar.zst")" "$(stat -c %s "$work/ref.tar.zst")") | |"
echo
echo "raw ms: pack ${pack_ours[*]} / ${pack_ref[*]}; deploy ${deploy_ours[*]} / ${deploy_ref[*]}"
[ -n "${BENCH_WORK:-}" ] || rm -rf "$work"
