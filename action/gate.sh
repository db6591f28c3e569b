#!/usr/bin/env bash
# The action's last step (action.yml, step "gate"): after the SARIF upload, fail the job
# with the scan's exit code. Env: TOKENGUARD_EXIT_CODE (output `exit-code` of scan.sh).
set -euo pipefail
rc="${TOKENGUARD_EXIT_CODE:-}"
case "$rc" in
  0) exit 0 ;;
  1) echo "tokenguard: findings at or above the fail-on level; see the annotations and the job summary" >&2; exit 1 ;;
  '' | *[!0-9]*) echo "tokenguard: the scan step did not run" >&2; exit 2 ;;
  *) echo "tokenguard: the scan failed (exit code $rc); see the scan step's log" >&2; exit "$rc" ;;
esac
