#!/usr/bin/env bash
# Build the ETL image from binaries already built on this host, with no
# registry: FROM scratch plus the root filesystem of docker/rootfs.sh
# (tiktok-etl with the stage links, the shared libraries it links, user etl = uid 10001, /tmp,
# CA bundle) and a /data store owned by that user. The same image as
# docker/Dockerfile builds, so the DAG runs either one the same way.
#
#   ETL_BIN_DIR=target/debug docker/build-local-image.sh [tag]
#
# ETL_BIN_DIR   directory holding extract, transform, load, tiktok-etl
#               (default: target/release)
# tag           image tag (default: $ETL_IMAGE_TAG or tiktok-shop-etl:local)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${ETL_BIN_DIR:-$here/../target/release}
tag=${1:-${ETL_IMAGE_TAG:-tiktok-shop-etl:local}}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
"$here/rootfs.sh" "$bin_dir" "$context/rootfs"
mkdir "$context/data"

cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
COPY --chown=10001:10001 data/ /data/
# MALLOC_ARENA_MAX: glibc's default (8 arenas a core) lets transform's
# peak memory grow with the input; 4 keeps it flat at the same speed.
ENV PATH=/usr/local/bin \
    MALLOC_ARENA_MAX=4 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    ETL_STORE=/data \
    ETL_TARGET=sqlite:///data/staging.db
WORKDIR /data
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/tiktok-etl"]
CMD ["--help"]
DOCKERFILE

# Without the buildx plugin, the classic builder still builds FROM scratch.
if ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
fi
docker build --quiet --tag "$tag" "$context" >/dev/null \
    2> >(grep -v -i -e deprecated -e buildx -e buildkit -e 'environment-variable' -e '^ *$' >&2)

size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "built $tag: $((size / 1024 / 1024)) MiB ($size bytes)"
