#!/usr/bin/env bash
# Lay out the ETL image's root filesystem from built binaries:
#
#   docker/rootfs.sh BIN_DIR ROOTFS
#
# ROOTFS gets /usr/local/bin/tiktok-etl and the links extract, transform and
# load to it (tiktok-etl called through a link named after a stage is that
# stage, so the image carries the code once), every shared
# library they link (found with ldd, copied at the same path, the dynamic
# loader included), /etc/passwd and /etc/group with the user `etl` (uid 10001),
# a world-writable /tmp and the CA bundle. Used by docker/Dockerfile (in its
# build stage) and by docker/build-local-image.sh (on the host), so both
# images are the same; each adds /data owned by 10001 with COPY --chown.
set -euo pipefail

bin_dir=${1:?usage: rootfs.sh BIN_DIR ROOTFS}
rootfs=${2:?usage: rootfs.sh BIN_DIR ROOTFS}
stages=(extract transform load)
etl_uid=10001

mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

# Copy a file (following symlinks) to the same absolute path under rootfs.
copy_at_same_path() {
    mkdir -p "$rootfs$(dirname "$1")"
    cp -L "$1" "$rootfs$1"
}

binary=$bin_dir/tiktok-etl
if [[ ! -x $binary ]]; then
    echo "rootfs.sh: $binary not found or not executable" >&2
    exit 2
fi
cp "$binary" "$rootfs/usr/local/bin/tiktok-etl"
for stage in "${stages[@]}"; do
    ln -sf tiktok-etl "$rootfs/usr/local/bin/$stage"
done
# "libx.so => /path (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)";
# a static binary prints "not a dynamic executable" and needs nothing.
while read -r library; do
    copy_at_same_path "$library"
done < <(ldd "$binary" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')

cat >"$rootfs/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
etl:x:$etl_uid:$etl_uid:tiktok-shop-etl:/data:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<GROUP
root:x:0:
etl:x:$etl_uid:
GROUP
# Without a CA bundle the load cannot check a SQL Server certificate (and
# tiberius would panic): an image without one is not built.
if [[ ! -s /etc/ssl/certs/ca-certificates.crt ]]; then
    echo "rootfs.sh: no /etc/ssl/certs/ca-certificates.crt: install the ca-certificates package in the build stage;" \
        "an image without CA roots cannot check TLS certificates (SQL Server, S3, the TikTok API)" >&2
    exit 2
fi
copy_at_same_path /etc/ssl/certs/ca-certificates.crt
