#!/usr/bin/env bash
# Records the real servers' answers to every call the probes make into tests/golden/ (Kubo,
# IPFS Cluster, the Versity S3 gateway, Garage's admin API), from the servers scripts/test.sh
# installs. The fixture tests (kubo, ipfs_cluster and s3_faults in tests/integration/) check
# their answers' shape against these files; the golden tests of tests/integration/real_servers
# and tests/integration/garage.rs check that the live servers still answer that way.
# Run it after a server upgrade, then read `git diff tests/golden` before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORD_GOLDEN=1 cargo test --test integration -- --include-ignored --exact \
  real_servers::golden::kubo_answers_as_recorded real_servers::golden::cluster_answers_as_recorded \
  real_servers::golden::versity_answers_as_recorded garage::admin_api_answers_as_recorded
git status --short tests/golden
