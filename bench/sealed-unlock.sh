#!/usr/bin/env bash
# What a sealed keyring costs a script per command, and what `kms serve` (unlocked once) costs
# instead (issue 22, "Sealed keyrings"). Not a test: wall and CPU times depend on the machine.
#   npm run build && bash bench/sealed-unlock.sh [RUNS]
set -euo pipefail
runs=${1:-5}
ks="node $(cd "$(dirname "$0")/.." && pwd)/bin/keystash.cjs"
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/serve.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
export HOME=$dir
time_get() { for _ in $(seq "$runs"); do /usr/bin/time -f "%e s wall, %U s user" $ks get app.db 2>&1 >/dev/null | tr '\n' ' '; echo; done; }
echo "plain keyring:"
KEYSTASH_HOME=$dir/plain $ks put app.db value >/dev/null 2>&1
KEYSTASH_HOME=$dir/plain time_get
echo "sealed keyring, passphrase in each command (scrypt N=2^17 each time):"
export KEYSTASH_HOME=$dir/sealed KEYSTASH_KMS_PASSPHRASE="bench $(head -c 12 /dev/urandom | base64)"
$ks put app.db value >/dev/null 2>&1
$ks kms seal >/dev/null 2>&1 || true
time_get
echo "sealed keyring unlocked once by kms serve; commands use it as their KMS (no passphrase):"
export KEYSTASH_KMS_ACCESS_KEY_ID=AKIABENCHSEALED00001 KEYSTASH_KMS_SECRET_ACCESS_KEY
KEYSTASH_KMS_SECRET_ACCESS_KEY=$(head -c 30 /dev/urandom | base64)
$ks kms serve --port 0 2>"$dir/serve.log" & echo $! >"$dir/serve.pid"
for _ in $(seq 100); do grep -q listening "$dir/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://127[^ ]*' "$dir/serve.log")
KEYSTASH_KMS_PASSPHRASE='' KEYSTASH_KMS=aws AWS_ENDPOINT_URL_KMS=$url AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=$KEYSTASH_KMS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$KEYSTASH_KMS_SECRET_ACCESS_KEY time_get
