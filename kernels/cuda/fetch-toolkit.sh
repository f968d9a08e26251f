#!/usr/bin/env bash
# fetch-toolkit.sh: put Debian bookworm's CUDA 11.8 toolkit (nvcc, cicc,
# ptxas, the CUDA headers) under $CUDA_CACHE (default ~/.cache/distill/cuda)
# without installing anything: the .debs are fetched with apt-get download
# through a private apt configuration (the toolkit lives in Debian's
# non-free component, which the machine's own sources may not list) and
# unpacked with dpkg-deb -x. Prints the toolkit's bin directory on success.
# Idempotent: a second run with the cache present does nothing. Every
# network step has a timeout, so a failed download reports and exits 1
# instead of hanging.
set -euo pipefail
cache=${CUDA_CACHE:-$HOME/.cache/distill/cuda}
root=$cache/root
bin=$root/usr/lib/nvidia-cuda-toolkit/bin # nvcc, cicc; ptxas is linked in beside them
if [ -x "$bin/ptxas" ] && [ -x "$bin/cicc" ] && [ -f "$bin/nvcc.profile" ] && [ -f "$root/usr/include/cuda_fp16.h" ]; then
  echo "$bin"; exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "fetch-toolkit.sh: needs apt-get and dpkg-deb (Debian)" >&2; exit 1; }
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs" "$root"
# The machine's mirror (its first deb822 URI or sources.list line), else Debian's own.
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
echo "deb $mirror bookworm main contrib non-free" > "$apt/sources.list"
opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::State::Status=/var/lib/dpkg/status
      -o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o Debug::NoLocking=1 -q)
timeout 300 apt-get "${opts[@]}" update >&2 || { echo "fetch-toolkit.sh: apt-get update failed or timed out" >&2; exit 1; }
# nvcc, cicc and ptxas (nvidia-cuda-toolkit), libnvvm for cicc, the headers
# nvcc includes (nvidia-cuda-dev, nvidia-cuda-toolkit-headers where split).
pkgs=(nvidia-cuda-toolkit nvidia-cuda-dev libnvvm4)
have=()
for p in "${pkgs[@]}"; do
  if apt-cache "${opts[@]}" show "$p" >/dev/null 2>&1; then have+=("$p"); fi
done
[ ${#have[@]} -gt 0 ] || { echo "fetch-toolkit.sh: no CUDA toolkit package in $mirror bookworm non-free" >&2; exit 1; }
(cd "$apt/debs" && timeout 900 apt-get "${opts[@]}" download "${have[@]}" >&2) || { echo "fetch-toolkit.sh: apt-get download ${have[*]} failed or timed out" >&2; exit 1; }
for d in "$apt/debs"/*.deb; do
  case $(basename "$d") in
  nvidia-cuda-dev_*) # 2.3 GB of libraries: only its headers are needed
    dpkg-deb --fsys-tarfile "$d" | tar -x -C "$root" --wildcards './usr/include/*' ;;
  *) dpkg-deb -x "$d" "$root" ;;
  esac
done
rm -f "$apt/debs"/*.deb
# The package's nvcc.profile is a link to /etc/nvcc.profile (absent here):
# one relative to the unpacked tree instead.
rm -f "$bin/nvcc.profile"
cat > "$bin/nvcc.profile" <<'PROFILE'
NVVMIR_LIBRARY_DIR = $(_HERE_)/../libdevice
PATH += $(_HERE_):$(_HERE_)/../../../bin:
INCLUDES += "-I$(_HERE_)/../../../include" $(_SPACE_)
PROFILE
ln -sf ../../../bin/ptxas "$bin/ptxas"
[ -x "$bin/ptxas" ] && [ -x "$bin/cicc" ] || { echo "fetch-toolkit.sh: ptxas or cicc not found under $root after unpacking" >&2; exit 1; }
echo "$bin"
