#!/bin/sh
# envship-installer 1
# An envship self-extracting installer: this POSIX sh script, then the native envship binary, then an
# envship archive, then (optionally) the archive's minisign signature, at the byte offsets below.
# The byte layout is described in docs/installer.md. The numbers are padded with spaces to a fixed
# width, so the header's length does not depend on them; they carry no leading zeros, which sh would
# read as octal.
envship_header_size=@HEADER_SIZE@
envship_target=@TARGET@
envship_binary_offset=@BINARY_OFFSET@
envship_binary_size=@BINARY_SIZE@
envship_binary_sha256=@BINARY_SHA256@
envship_archive_offset=@ARCHIVE_OFFSET@
envship_archive_size=@ARCHIVE_SIZE@
envship_archive_sha256=@ARCHIVE_SHA256@
envship_signature_offset=@SIGNATURE_OFFSET@
envship_signature_size=@SIGNATURE_SIZE@
# end of layout

# The target may have nothing but sh and coreutils: only tail, head, wc, sha256sum, mktemp, chmod,
# dirname, mv, rm and cat are used. Exit codes are envship's own (README, "Exit codes"): 2 usage,
# 4 the output exists, 6 this file is damaged, 10 no directory can hold the binary.

self=$0
case $self in -*) self=./$self ;; esac
run_name=${self##*/}
workdir=

say() { printf 'envship installer: %s\n' "$*" >&2; }

usage() {
  cat <<USAGE
Usage: sh $run_name --prefix DEST [deploy options]   deploy the environment at DEST
       sh $run_name --info [--json] [--verify-key PUBFILE]  show what the archive holds
       sh $run_name --extract-archive FILE         write the plain archive (and FILE.minisig)
       sh $run_name --help                         this help, then the deploy options

This is an envship installer ($envship_target): a small sh script, the native envship binary and an
envship archive in one file. It needs only sh and coreutils on this machine. The binary's SHA-256 is
checked before it runs, and the binary checks every byte of the archive before anything is renamed
into DEST. Every 'envship deploy' option works, e.g. --replace, --verify-key PUBFILE,
--require-signature, --shared, --group NAME, --dry-run, --json.
With --verify-key, the archive's own signature carried inside this file is verified; if it carries
none, $run_name.minisig beside it must sign the whole file.
The binary is copied to \$TMPDIR (default /tmp), else beside DEST, else \$HOME: the first of them
where a program may run. It is removed when the installer ends.
USAGE
}

# Writes LENGTH bytes at OFFSET of this file to FILE. tail and head are in every coreutils and
# busybox; dd's byte-offset options are not portable.
slice() {
  tail -c +"$(($1 + 1))" "$self" | head -c "$2" > "$3"
}

sha256_of() {
  set -- "$(sha256sum < "$1")"
  printf '%s' "${1%% *}"
}

# Each program run from a fresh directory must be allowed to execute there: /tmp is often mounted
# noexec. A tiny script tells before the binary is copied.
try_directory() {
  if [ ! -d "$1" ]; then
    tried="$tried${tried:+;} $1 (missing)"
    return 1
  fi
  workdir=$(mktemp -d "$1/envship-run.XXXXXX" 2>/dev/null) || {
    workdir=
    tried="$tried${tried:+;} $1 (not writable)"
    return 1
  }
  printf '#!/bin/sh\nexit 0\n' > "$workdir/probe" && chmod 700 "$workdir/probe" && "$workdir/probe" 2>/dev/null || {
    rm -rf -- "$workdir"
    workdir=
    tried="$tried${tried:+;} $1 (mounted noexec, or programs may not run there)"
    return 1
  }
  rm -f -- "$workdir/probe"
}

cleanup() {
  if [ -n "$workdir" ]; then
    rm -rf -- "$workdir"
    workdir=
  fi
}

# Copies the binary out, checks its SHA-256, and sets $bin. The temporary copy goes away on any exit.
unpack_binary() {
  tried=
  near=
  if [ -n "$prefix" ]; then
    near=$(dirname -- "$prefix")
    while [ ! -d "$near" ]; do near=$(dirname -- "$near"); done
  fi
  for candidate in "${TMPDIR:-/tmp}" ${near:+"$near"} ${HOME:+"$HOME"}; do
    try_directory "$candidate" && break
  done
  if [ -z "$workdir" ]; then
    say "$self: no directory lets the embedded envship run; tried:$tried. Set TMPDIR to a writable directory on a filesystem mounted without noexec (e.g. TMPDIR=\$HOME/tmp sh $run_name ...)."
    exit 10
  fi
  if [ -n "$tried" ]; then
    say "running envship from $workdir; tried first:$tried."
  fi
  bin=$workdir/envship
  if ! slice "$envship_binary_offset" "$envship_binary_size" "$bin"; then
    say "$self: cannot copy the embedded envship to $workdir (disk full?). Free some space there, or set TMPDIR to another directory."
    exit 10
  fi
  actual=$(sha256_of "$bin")
  if [ "$actual" != "$envship_binary_sha256" ]; then
    say "$self: the embedded envship binary is damaged (sha256 $actual, expected $envship_binary_sha256): the file was changed or cut short after it was made. Nothing was run and nothing was written. Copy $run_name again from its source, and check it with 'minisign -Vm $run_name -p KEY.pub' when it is signed."
    exit 6
  fi
  chmod 700 "$bin"
}

extract_archive() {
  if [ -z "$extract_to" ]; then
    say "--extract-archive needs a file name: sh $run_name --extract-archive FILE"
    exit 2
  fi
  if [ -e "$extract_to" ]; then
    say "$extract_to: already exists. Remove it, or choose another name."
    exit 4
  fi
  workdir=$extract_to.envship-tmp-$$
  slice "$envship_archive_offset" "$envship_archive_size" "$workdir" || {
    say "$extract_to: cannot write the archive (disk full, or the directory is not writable)."
    exit 10
  }
  actual=$(sha256_of "$workdir")
  if [ "$actual" != "$envship_archive_sha256" ]; then
    say "$self: the embedded archive is damaged (sha256 $actual, expected $envship_archive_sha256); nothing was written. Copy $run_name again from its source."
    exit 6
  fi
  if [ "$envship_signature_size" -gt 0 ]; then
    slice "$envship_signature_offset" "$envship_signature_size" "$extract_to.minisig" || exit 10
  fi
  mv -- "$workdir" "$extract_to" || exit 10
  workdir=
  say "wrote $extract_to ($envship_archive_size bytes, sha256 $envship_archive_sha256)"
}

trap cleanup EXIT
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 130' INT TERM

if [ ! -f "$self" ] || [ ! -r "$self" ]; then
  say "cannot read the installer itself at '$0'. Save it to a file first, then run: sh FILE --prefix DEST"
  exit 2
fi
length=$(wc -c < "$self")
if [ "$length" -ne "$((envship_signature_offset + envship_signature_size))" ]; then
  say "$self: is $length bytes long, but its header says $((envship_signature_offset + envship_signature_size)): the file was cut short or changed. Copy $run_name again from its source."
  exit 6
fi

mode=deploy
prefix=
extract_to=
previous=
for argument in "$@"; do
  case $previous in
    --prefix | -p) prefix=$argument ;;
    --extract-archive) extract_to=$argument ;;
  esac
  case $previous in
    --prefix | -p | --extract-archive | --verify-key | --group | --ca-file | --cache-dir)
      previous=
      continue ;;
  esac
  case $argument in
    --help | -h | -\?) mode=help ;;
    --info) mode=info ;;
    --extract-archive) mode=extract ;;
    --extract-archive=*) mode=extract extract_to=${argument#*=} ;;
    --prefix=*) prefix=${argument#*=} ;;
  esac
  previous=$argument
done

case $mode in
  help)
    usage
    unpack_binary
    printf '\nDeploy options (envship deploy --help):\n'
    "$bin" deploy --help
    ;;
  extract)
    extract_archive
    ;;
  info)
    # inspect takes the remaining options (--json, --verify-key); --info itself is dropped.
    count=$#
    while [ "$count" -gt 0 ]; do
      argument=$1
      shift
      count=$((count - 1))
      [ "$argument" = --info ] || set -- "$@" "$argument"
    done
    unpack_binary
    "$bin" inspect "$self" "$@"
    ;;
  deploy)
    unpack_binary
    "$bin" deploy "$self" "$@"
    ;;
esac
status=$?
cleanup
exit $status
