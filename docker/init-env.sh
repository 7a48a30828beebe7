#!/usr/bin/env bash
# Make the .env of docker-compose.yml: a copy of .env.example in which every
# required value left empty is filled in, and nothing already set is changed
# (an old .env keeps its values and gets only what it lacks):
#
#   docker/init-env.sh [path of the .env, default: .env next to docker-compose.yml]
#
# Fills AIRFLOW_UID (your uid), DOCKER_GID (the group of the Docker socket,
# DOCKER_SOCKET or /var/run/docker.sock), AIRFLOW_FERNET_KEY, AIRFLOW_JWT_SECRET,
# AIRFLOW_ADMIN_PASSWORD, AIRFLOW_POSTGRES_PASSWORD, DB_PASSWORD (SQL Server sa),
# ETL_DB_PASSWORD (the ETL login), S3_ACCESS_KEY and S3_SECRET_KEY with random
# values, and TIKTOK_ETL_START_DATE with today (UTC). Prints the names it
# filled, never the values. The file is made readable by its owner only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
env_file=${1:-$repo/.env}
socket=${DOCKER_SOCKET:-/var/run/docker.sock}

if [[ ! -f $env_file ]]; then
    cp "$repo/.env.example" "$env_file"
fi
chmod 600 "$env_file"

# n random bytes as URL-safe base64 (the form of a Fernet key for n = 32).
random_b64() { head -c "$1" /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }
# Letters and digits only (no quoting trouble in .env, URLs or SQL).
random_alnum() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
# Meets SQL Server's password rules: upper and lower case letters, digits and a symbol.
random_password() { printf '%s-Aa1' "$(random_alnum 24)"; }

docker_gid() {
    if [[ ! -S $socket ]]; then
        echo "init-env.sh: no Docker socket at $socket: set DOCKER_GID in $env_file to its group yourself" >&2
        exit 1
    fi
    stat -c %g "$socket"
}

current() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }

# Set NAME=VALUE when NAME is missing or empty.
fill() {
    local name=$1 value=$2 tmp
    if [[ -n $(current "$name") ]]; then
        return
    fi
    tmp=$(mktemp "$env_file.XXXXXX")
    awk -v name="$name" -v value="$value" '
        BEGIN { done = 0 }
        $0 == name "=" && !done { print name "=" value; done = 1; next }
        { print }
        END { if (!done) print name "=" value }
    ' "$env_file" >"$tmp"
    chmod 600 "$tmp"
    mv "$tmp" "$env_file"
    filled+=("$name")
}

filled=()
# The image's own airflow user when run as root (Airflow should not run as root).
uid=$(id -u)
if ((uid == 0)); then uid=50000; fi
fill AIRFLOW_UID "$uid"
if [[ -z $(current DOCKER_GID) ]]; then
    gid=$(docker_gid)
    fill DOCKER_GID "$gid"
fi
fill AIRFLOW_FERNET_KEY "$(random_b64 32)"
fill AIRFLOW_JWT_SECRET "$(random_alnum 64)"
fill AIRFLOW_ADMIN_PASSWORD "$(random_alnum 20)"
fill AIRFLOW_POSTGRES_PASSWORD "$(random_alnum 32)"
fill DB_PASSWORD "$(random_password)"
fill ETL_DB_PASSWORD "$(random_password)"
fill S3_ACCESS_KEY "$(random_alnum 20)"
fill S3_SECRET_KEY "$(random_alnum 40)"
fill TIKTOK_ETL_START_DATE "$(date -u +%Y-%m-%d)"

if ((${#filled[@]})); then
    echo "init-env.sh: filled ${filled[*]} in $env_file"
else
    echo "init-env.sh: $env_file already has every required value"
fi
echo "init-env.sh: the admin login is in $env_file (AIRFLOW_ADMIN_USER, AIRFLOW_ADMIN_PASSWORD)"
