#!/usr/bin/env bash
# Records the real servers' answers to every call the probes make into tests/golden/ (Kubo,
# IPFS Cluster, the Versity S3 gateway, Garage's admin API), from the servers scripts/test.sh
# installs. The fixture tests (tests/kubo.rs, tests/ipfs_cluster.rs, tests/s3_faults.rs) check
# their answers' shape against these files; the golden tests of tests/real_servers and
# tests/garage.rs check that the live servers still answer that way.
# Run it after a server upgrade, then read `git diff tests/golden` before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORD_GOLDEN=1 cargo test --test real_servers -- --include-ignored --exact \
  golden::kubo_answers_as_recorded golden::cluster_answers_as_recorded \
  golden::versity_answers_as_recorded
RECORD_GOLDEN=1 cargo test --test garage -- --include-ignored --exact admin_api_answers_as_recorded
git status --short tests/golden
