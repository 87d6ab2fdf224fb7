#!/usr/bin/env bash
# The benchmark of issue 5: envship against the stock pipeline a user could type instead, on
# synthetic conda-style environments of a given size and file count.
#
#   bash bench/run.sh                                   # 1 GB / 50k, 4 GB / 200k and 10 GB / 200k files
#   bash bench/run.sh --size 1G --files 50000           # one case only
#   bash bench/run.sh --prefix /path/to/env             # a real environment instead
#   bash bench/run.sh --python                          # a copy of this machine's CPython install
#
# Options: --size S --files N (repeat the pair for several cases), --prefix P (repeatable),
#   --python (copy sys.base_prefix, add conda-meta/: a real CPython tree, ~50k files),
#   --runs N (default 5), --seed N (default 1), --work DIR (default /tmp/envship-bench; generated
#   environments are kept there and reused), --no-disk (skip the labelled disk run).
#
# For each case it
#   1. generates the environment with bench/gen_env.py (deterministic from the seed), after
#      checking that the work disk has ~3x the size free;
#   2. packs with `envship pack` and with `tar -cf - . | zstd -T0 -3`, alternating, RUNS times;
#   3. deploys each archive with `envship deploy` (verification and relocation included) and with
#      `zstd -dc | tar -x`, once untimed, then alternating, RUNS times, into a fresh directory on a
#      tmpfs the script mounts; removing the directory is outside the timed region;
#   4. deploys each once more to disk, labelled as such;
#   5. packs once more with -j 1 and checks the archive is byte-identical to the -j 2 one;
# and prints a markdown table of medians, ratios, peak RSS and archive sizes per case, then how
# each case's times scale against the first one.
#
# Why a tmpfs: cloud disks are burst-throttled; the same `zstd -dc | tar -x` measured 4.1 s, then
# 18.7 s, then 31.3 s in a row here. A disk-bound ratio measures the throttling, not envship.
# Why alternate: drift (page cache, throttling, thermal) then hits both sides alike. The order
# also flips each run so neither side always runs on the other's warm cache.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=5 seed=1 work=/tmp/envship-bench disk_run=1 python_copy=0
sizes=() counts=() prefixes=()
while [ $# -gt 0 ]; do
  case $1 in
    --size) sizes+=("$2"); shift 2 ;;
    --files) counts+=("$2"); shift 2 ;;
    --prefix) prefixes+=("$(cd "$2" && pwd)"); shift 2 ;;
    --python) python_copy=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-disk) disk_run=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#sizes[@]} -eq ${#counts[@]} ] || { echo "bench/run.sh: give --size and --files in pairs" >&2; exit 2; }
[ ${#sizes[@]} -gt 0 ] || [ ${#prefixes[@]} -gt 0 ] || [ $python_copy = 1 ] || { sizes=(1G 4G 10G); counts=(50000 200000 200000); }
mkdir -p "$work"
work=$(cd "$work" && pwd)

log() { echo "bench: $*" >&2; }

# ---- set-up: the tools, and envship itself ---------------------------------------------------
setup_tools() {
  local missing=()
  command -v zstd >/dev/null || missing+=(zstd)
  command -v python3 >/dev/null || missing+=(python3)
  [ -x /usr/bin/time ] || missing+=(time)   # GNU time, for peak RSS (-v); the shell keyword can't
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bench/run.sh: needs ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 2
  fi
}

build_envship() {
  # The release build: a native executable (PublishAot), what a target without .NET runs.
  log "dotnet publish src/Envship.Cli -c Release -o $work/bin"
  dotnet publish "$repo/src/Envship.Cli" -c Release -o "$work/bin" -v q --nologo >/dev/null
  envship=("$work/bin/envship")
}

# This VM gives memory back to its hypervisor: free page reporting hands freed pages over
# (page_reporting.min_free_ms=0; max_waiting_mib=1024 reports once 1 GiB is free, whatever the
# delay), and a DAMON scheme pages out page cache idle for a minute. A page touched again is then
# a fresh host fault or a read from the throttled disk: 600 MB written in 1 MiB pieces took
# 0.8-1.1 s instead of 0.1 s, and the same 4 GB deploy spent 5 s or 18 s in the kernel. Like the
# throttled disk, that measures the VM, not the programs, so for the run the guest keeps its
# memory (reporting delayed 5 minutes, the most it takes, with no size trigger; DAMON paused).
# The old values are put back on exit. Machines without these knobs are left alone.
page_reporting=/sys/module/page_reporting/parameters
damon_state=/sys/kernel/mm/damon/admin/kdamonds/0/state
hold_vm_memory() {
  local held=()
  if [ -w "$page_reporting/min_free_ms" ]; then
    saved_min_free_ms=$(cat "$page_reporting/min_free_ms")
    echo 300000 > "$page_reporting/min_free_ms" && held+=("page_reporting.min_free_ms 300000 (was $saved_min_free_ms)")
  fi
  if [ -w "$page_reporting/max_waiting_mib" ]; then
    saved_max_waiting_mib=$(cat "$page_reporting/max_waiting_mib")
    echo 65536 > "$page_reporting/max_waiting_mib" && held+=("max_waiting_mib 65536 (was $saved_max_waiting_mib)")
  fi
  if [ -w "$damon_state" ] && [ "$(cat "$damon_state")" = on ]; then
    echo off > "$damon_state" && saved_damon=on && held+=("DAMON pageout paused")
  fi
  if [ ${#held[@]} -gt 0 ]; then
    memory_note="memory kept by the guest during the run: $(IFS=';'; echo "${held[*]}" | sed 's/;/, /g')"
  elif [ -e "$page_reporting/min_free_ms" ] || [ -e "$damon_state" ]; then
    memory_note="memory returned to the host as usual (the knobs need root)"
  else
    memory_note="no free page reporting or DAMON pageout on this machine"
  fi
}
restore_vm_memory() {
  [ -z "${saved_min_free_ms:-}" ] || echo "$saved_min_free_ms" > "$page_reporting/min_free_ms"
  [ -z "${saved_max_waiting_mib:-}" ] || echo "$saved_max_waiting_mib" > "$page_reporting/max_waiting_mib"
  [ -z "${saved_damon:-}" ] || echo "$saved_damon" > "$damon_state"
}

# ---- helpers -----------------------------------------------------------------------------------
to_bytes() { python3 -c "import sys; sys.path.insert(0, '$repo/bench'); import gen_env; print(gen_env.parse_size('$1'))"; }
free_bytes() { df -B1 --output=avail "$1" | tail -1; }
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
max() { sort -n | tail -1; }
secs() { awk -v ms="$1" 'BEGIN {printf "%.2f s", ms / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
pair_ratios() {   # pair_ratios OURS REF (array names): each run's ratio, then their median
  local -n _a=$1 _b=$2
  local i list=() scaled=()
  for ((i = 0; i < ${#_a[@]}; i++)); do
    list+=("$(ratio "${_a[i]}" "${_b[i]}")"); scaled+=($(( _a[i] * 10000 / _b[i] )))
  done
  echo "${list[*]} (median $(printf '%s\n' "${scaled[@]}" | median | awk '{printf "%.2f", $1 / 10000}'))"
}
rss_mb() { awk '/Maximum resident/ {print int($6 / 1024)}' "$1"; }

# timed VAR CMD...: run CMD, append its wall time in ms to array VAR.
timed() {
  local -n _out=$1; shift
  local t0 t1
  t0=$(now_ns); "$@"; t1=$(now_ns)
  _out+=($(( (t1 - t0) / 1000000 )))
}
pack_ours() { /usr/bin/time -v -o "$1.time" "${envship[@]}" pack -p "$prefix" -o "$1" -q -f -j "$(nproc)"; }
pack_ref() { tar -C "$prefix" -cf - . | zstd -T0 -3 -q -f -o "$1"; }
# Each side's previous archive goes before the clock starts, as deployed trees do.
fresh() { rm -f "$@"; sync; }
deploy_ours() { /usr/bin/time -v -o "$work/deploy.time" "${envship[@]}" deploy "$1" --prefix "$2" -q >/dev/null; }
deploy_ref() { mkdir "$2" && zstd -dc "$1" | tar -C "$2" -x; }

# ---- the tmpfs for deploys ---------------------------------------------------------------------
# Sized for one unpacked tree plus envship's staging and slack. Each deploy's tree is removed
# before the next, so one tree at a time is enough. Needs root; without it, deploys go to disk
# and the table says so.
tmpfs_dir="$work/tmpfs"
mount_tmpfs() {   # mount_tmpfs BYTES -> sets deploy_root and deploy_medium
  local bytes=$1 size_mb=$(( $1 * 3 / 2 / 1048576 + 512 ))
  local avail_mb; avail_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
  deploy_root=$work deploy_medium="disk (no tmpfs: needs root)"
  mountpoint -q "$tmpfs_dir" && umount "$tmpfs_dir"
  if [ "$(id -u)" -ne 0 ]; then return; fi
  if [ "$size_mb" -gt $(( avail_mb - 1024 )) ]; then
    deploy_medium="disk (no tmpfs: ${size_mb} MiB needed, ${avail_mb} MiB RAM available)"; return
  fi
  mkdir -p "$tmpfs_dir"
  if mount -t tmpfs -o size=${size_mb}m envship-bench "$tmpfs_dir"; then
    deploy_root=$tmpfs_dir deploy_medium=tmpfs
  else
    deploy_medium="disk (no tmpfs: mount failed)"
  fi
}
trap 'mountpoint -q "$tmpfs_dir" 2>/dev/null && umount "$tmpfs_dir"; restore_vm_memory' EXIT

# ---- one case ----------------------------------------------------------------------------------
results="$work/results.md"
: > "$results"

bench_case() {   # bench_case LABEL PREFIX
  local label=$1; prefix=$2
  local files bytes; files=$(find "$prefix" ! -type d | wc -l)
  bytes=$(find "$prefix" -type f -printf '%s\n' | awk '{s += $1} END {print s}')   # file contents
  mount_tmpfs "$(du -sb "$prefix" | cut -f1)"   # directories and links take room on the tmpfs too
  local ours="$work/ours.tar.zst" ref="$work/ref.tar.zst" i
  local -a po=() pr=() do_=() dr=() prss=() drss=()
  log "$label: $files entries, $(mib "$bytes"); $runs runs each; deploys to $deploy_medium"
  # Warm the page cache once, untimed, so the first timed side doesn't pay for cold reads alone.
  tar -C "$prefix" -cf - . | cat >/dev/null
  for ((i = 1; i <= runs; i++)); do
    log "$label: pack run $i/$runs"
    if (( i % 2 )); then fresh "$ours"; timed po pack_ours "$ours"; fresh "$ref"; timed pr pack_ref "$ref"
    else fresh "$ref"; timed pr pack_ref "$ref"; fresh "$ours"; timed po pack_ours "$ours"; fi
    prss+=("$(rss_mb "$ours.time")")
  done
  # One untimed deploy each first: the tmpfs's first pages come fresh from the hypervisor (the same
  # 4 GB deploy spent 20 s in the kernel on a new mount, 5 s once its pages had been used).
  log "$label: one untimed deploy each, to warm the tmpfs"
  rm -rf "$deploy_root/d-ours" "$deploy_root/d-ref"
  deploy_ours "$ours" "$deploy_root/d-ours"; rm -rf "$deploy_root/d-ours"
  deploy_ref "$ref" "$deploy_root/d-ref"; rm -rf "$deploy_root/d-ref"
  for ((i = 1; i <= runs; i++)); do
    log "$label: deploy run $i/$runs"
    rm -rf "$deploy_root/d-ours" "$deploy_root/d-ref"; sync
    if (( i % 2 )); then
      timed do_ deploy_ours "$ours" "$deploy_root/d-ours"; rm -rf "$deploy_root/d-ours"; sync
      timed dr deploy_ref "$ref" "$deploy_root/d-ref"; rm -rf "$deploy_root/d-ref"
    else
      timed dr deploy_ref "$ref" "$deploy_root/d-ref"; rm -rf "$deploy_root/d-ref"; sync
      timed do_ deploy_ours "$ours" "$deploy_root/d-ours"; rm -rf "$deploy_root/d-ours"
    fi
    drss+=("$(rss_mb "$work/deploy.time")")
  done
  local -a disk_o=() disk_r=()
  if [ "$disk_run" = 1 ] && [ "$deploy_medium" = tmpfs ]; then
    log "$label: one deploy each to disk"
    rm -rf "$work/d-ours" "$work/d-ref"; sync
    timed disk_o deploy_ours "$ours" "$work/d-ours"; rm -rf "$work/d-ours"; sync
    timed disk_r deploy_ref "$ref" "$work/d-ref"; rm -rf "$work/d-ref"; sync
  fi

  log "$label: one more pack with -j 1, to compare bytes"
  local one_thread="$work/ours-j1.tar.zst" identical=no
  "${envship[@]}" pack -p "$prefix" -o "$one_thread" -q -f -j 1
  cmp -s "$ours" "$one_thread" && identical=yes
  rm -f "$one_thread"

  local mpo mpr mdo mdr so sr
  mpo=$(printf '%s\n' "${po[@]}" | median); mpr=$(printf '%s\n' "${pr[@]}" | median)
  mdo=$(printf '%s\n' "${do_[@]}" | median); mdr=$(printf '%s\n' "${dr[@]}" | median)
  so=$(stat -c %s "$ours"); sr=$(stat -c %s "$ref")
  {
    echo "### $label: $files entries, $(mib "$bytes"), $runs runs each, $(nproc) cores"
    echo
    echo "$memory_note."
    echo
    echo "| case | envship | reference | ratio | envship peak RSS |"
    echo "|---|---|---|---|---|"
    echo "| pack (zstd -3) vs \`tar -cf - . \| zstd -T0 -3\` | $(secs "$mpo") | $(secs "$mpr") | $(ratio "$mpo" "$mpr") | $(printf '%s\n' "${prss[@]}" | max) MB |"
    echo "| deploy to $deploy_medium (verify + relocate) vs \`zstd -dc \| tar -x\` | $(secs "$mdo") | $(secs "$mdr") | $(ratio "$mdo" "$mdr") | $(printf '%s\n' "${drss[@]}" | max) MB |"
    [ ${#disk_o[@]} -eq 0 ] || echo "| deploy to disk, one run | $(secs "${disk_o[0]}") | $(secs "${disk_r[0]}") | $(ratio "${disk_o[0]}" "${disk_r[0]}") | |"
    echo "| archive size | $(mib "$so") | $(mib "$sr") | $(ratio "$so" "$sr") | |"
    echo
    echo "-j 1 archive byte-identical to -j $(nproc): $identical"
    echo
    echo "raw ms, envship / reference: pack ${po[*]} / ${pr[*]}; deploy ${do_[*]} / ${dr[*]}"
    echo
    echo "ratio within each alternating pair (drift between pairs cancels): pack $(pair_ratios po pr); deploy $(pair_ratios do_ dr)"
    echo
  } | tee -a "$results"
  rm -f "$ours" "$ref" "$ours.time"
  scale_labels+=("$label") scale_bytes+=("$bytes") scale_pack+=("$mpo") scale_deploy+=("$mdo")
  scale_ref_pack+=("$mpr") scale_ref_deploy+=("$mdr")
}

scale_labels=() scale_bytes=() scale_pack=() scale_deploy=() scale_ref_pack=() scale_ref_deploy=()
# Each case against the first: size ratio, then how much longer pack and deploy took. The
# reference's own scaling is beside it: when the host slows down between cases, both grow.
print_scaling() {
  [ ${#scale_labels[@]} -ge 2 ] || return 0
  {
    echo "### scaling against ${scale_labels[0]}"
    echo
    echo "| case | data | pack time | deploy time | reference pack | reference deploy |"
    echo "|---|---|---|---|---|---|"
    local i
    for ((i = 1; i < ${#scale_labels[@]}; i++)); do
      echo "| ${scale_labels[i]} | $(ratio "${scale_bytes[i]}" "${scale_bytes[0]}")x | $(ratio "${scale_pack[i]}" "${scale_pack[0]}")x | $(ratio "${scale_deploy[i]}" "${scale_deploy[0]}")x | $(ratio "${scale_ref_pack[i]}" "${scale_ref_pack[0]}")x | $(ratio "${scale_ref_deploy[i]}" "${scale_ref_deploy[0]}")x |"
    done
    echo
  } | tee -a "$results"
}

# generate_env SIZE FILES -> prints the prefix; reuses a complete earlier generation.
generate_env() {
  local size=$1 count=$2 bytes need avail
  # The generator's own hash is in the name, so a changed generator never reuses a stale tree.
  local prefix="$work/envs/synthetic-$size-$count-seed$seed-$(sha256sum "$repo/bench/gen_env.py" | cut -c1-8)"
  if [ -f "$prefix.done" ]; then echo "$prefix"; return; fi
  bytes=$(to_bytes "$size")
  # The source tree, two archives (~0.7x each) and a disk deploy of one tree at a time: ~3x.
  need=$(( bytes * 3 )); avail=$(free_bytes "$work")
  if [ "$avail" -lt "$need" ]; then
    echo "bench/run.sh: $size needs ~$(( need / 1073741824 )) GiB free in $work, only $(( avail / 1073741824 )) GiB; use --work on a bigger disk" >&2
    return 1
  fi
  rm -rf "$prefix"
  local t0; t0=$(now_ns)
  python3 "$repo/bench/gen_env.py" "$prefix" --size "$size" --files "$count" --seed "$seed" >&2 || return 1
  log "generated in $(secs $(( ($(now_ns) - t0) / 1000000 )))"
  touch "$prefix.done"
  echo "$prefix"
}

# python_env -> prints the prefix: a copy of this machine's CPython installation plus conda-meta/,
# the shape of a real environment (what bench/core-compare.sh measured before run.sh replaced it).
python_env() {
  local base prefix="$work/envs/python-copy"
  if [ -f "$prefix.done" ]; then echo "$prefix"; return; fi
  base=$(python3 -c 'import sys; print(sys.base_prefix)')
  rm -rf "$prefix"; mkdir -p "$work/envs"
  cp -a "$base" "$prefix"
  mkdir -p "$prefix/conda-meta"
  printf '==> 2026-01-01 00:00:00 <==\n# cmd: bench\n' > "$prefix/conda-meta/history"
  touch "$prefix.done"
  echo "$prefix"
}

# ---- main --------------------------------------------------------------------------------------
start=$(now_ns)
setup_tools
build_envship
hold_vm_memory
for ((c = 0; c < ${#sizes[@]}; c++)); do
  p=$(generate_env "${sizes[c]}" "${counts[c]}") || continue
  bench_case "${sizes[c]} / ${counts[c]} files (synthetic, seed $seed)" "$p"
done
if [ $python_copy = 1 ]; then p=$(python_env); bench_case "copy of this machine's CPython ($(python3 -c 'import sys; print(sys.base_prefix)'))" "$p"; fi
for p in "${prefixes[@]}"; do bench_case "$(basename "$p")" "$p"; done
print_scaling
log "done in $(secs $(( ($(now_ns) - start) / 1000000 ))); tables in $results"
