#!/usr/bin/env bash
# bgsafe over a large batch, split in N shards that GNU parallel runs at once, then joined again.
#
#   examples/parallel-shards.sh FOLDER [N]     (N: the number of cores by default)
#
# Each shard is `bgsafe --shard K/N` (by add-on, each whole). Prints the summary of the whole batch on
# stdout, writes its JSON report to bgsafe.json, and exits as `bgsafe --check FOLDER` would on one
# machine: 0 nothing to change, 1 something would change or a finding is reported, 2 errors.
# To spread the shards over hosts that have the same tree at the same relative path, add
# `--sshlogin 4/host1,4/host2 --workdir . --return "$reports/shard-{}.json"` (see `man parallel`).
set -u
folder=${1:?usage: parallel-shards.sh FOLDER [N]}
n=${2:-$(nproc)}
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
export folder n reports
# Exit 2 (a file bgsafe could not process) still writes a shard's whole report; merge reports it again.
parallel --halt never 'bgsafe --shard {}/$n --format json "$folder" > "$reports/shard-{}.json"' ::: $(seq 1 "$n")
bgsafe merge --format json "$reports"/shard-*.json > bgsafe.json
bgsafe merge --check "$reports"/shard-*.json
