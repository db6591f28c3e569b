#!/usr/bin/env bash
# The action's last step (action.yml, step "gate"): after the SARIF upload, fail the job
# with the scan's exit code. The upload never decides the job: when it failed (a
# read-only token on a pull request from a fork, code scanning not enabled), one line
# says so and the scan's exit code still does.
# Env: TOKENGUARD_EXIT_CODE (output `exit-code` of scan.sh), TOKENGUARD_UPLOAD_OUTCOME
# (the upload step's outcome: success, failure, or empty/skipped when it did not run).
set -euo pipefail
if [ "${TOKENGUARD_UPLOAD_OUTCOME:-}" = failure ]; then
  echo "tokenguard: the SARIF upload to code scanning failed (see its step's log: code scanning needs \`security-events: write\`, and GitHub Advanced Security on a private repository); it does not decide the job"
fi
rc="${TOKENGUARD_EXIT_CODE:-}"
case "$rc" in
  0) exit 0 ;;
  1) echo "tokenguard: findings at or above the fail-on level; see the annotations and the job summary" >&2; exit 1 ;;
  '' | *[!0-9]*) echo "tokenguard: the scan step did not run" >&2; exit 2 ;;
  *) echo "tokenguard: the scan failed (exit code $rc); see the scan step's log" >&2; exit "$rc" ;;
esac
