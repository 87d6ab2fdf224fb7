#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the real tools the tests drive
# (GNU tar, zstd, gzip, gcc, binutils' readelf, patchelf, bzip2, python3, minisign, libzstd, distribution's
# docker-registry, skopeo, htpasswd; debootstrap for the Debian 11 root; dash, busybox, the aarch64 cross
# toolchain and qemu-user-static for the installer and aarch64 tests, with the arm64 libc the aarch64
# envship runs on under qemu), restores NuGet
# packages and runs every test project. Prints "tests: N passed, N failed, N skipped" last.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A package_for=(
  [tar]=tar [zstd]=zstd [gzip]=gzip [bzip2]=bzip2 [gcc]=gcc [readelf]=binutils
  [ldd]=libc-bin [patchelf]=patchelf [python3]=python3 [file]=file [minisign]=minisign
  [docker-registry]=docker-registry [skopeo]=skopeo [htpasswd]=apache2-utils [openssl]=openssl
  [debootstrap]=debootstrap [unshare]=util-linux
  [busybox]=busybox [dash]=dash [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu
  [aarch64-linux-gnu-objcopy]=binutils-aarch64-linux-gnu [qemu-aarch64-static]=qemu-user-static
)
missing=()
for tool in "${!package_for[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_for[$tool]}")
done
# The library envship compresses with (a test checks it loads); dpkg itself needs it, but say so.
ldconfig -p 2>/dev/null | grep 'libzstd\.so\.1 ' >/dev/null || missing+=(libzstd1)
# The cross-published aarch64 envship links against the cross sysroot and runs under qemu on Debian's
# multiarch arm64 libc, and nothing else: without OpenSSL it hashes with its managed SHA-256.
[ -f /usr/aarch64-linux-gnu/lib/crt1.o ] || missing+=(libc6-dev-arm64-cross)
[ -f /lib/ld-linux-aarch64.so.1 ] || missing+=(libc6:arm64)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  dpkg --print-foreign-architectures | grep -qx arm64 || "${as_root[@]}" dpkg --add-architecture arm64
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Envship.slnx -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
