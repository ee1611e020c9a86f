#!/usr/bin/env bash
# Prints, for each test class that failed in this tree's Surefire or Failsafe reports, the last lines it logged that
# are not INFO (WARN, ERROR, stack traces), short enough to stay in the tail of a CI log. With redirectTestOutputToFile
# a test's log is in <Class>-output.txt, which a clean CI machine throws away: without this, a flaky failure leaves only
# its exception. Called by .ci/run and .ci/containers when a Maven run fails; always exits 0.
shopt -s nullglob
for xml in */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml; do
  if ! grep -q '<testsuite [^>]*\(failures\|errors\)="[1-9]' "$xml"; then
    continue
  fi
  class=$(basename "$xml" .xml)
  class=${class#TEST-}
  output="$(dirname "$xml")/$class-output.txt"
  echo "== what $class logged, not INFO, last 30 lines ($output)"
  tr -d '\n' < "$xml" | grep -o 'testcase name="[^"]*"[^>]*>[[:space:]]*<\(failure\|error\)' | sed 's/^testcase name="\([^"]*\)".*/failed: \1/'
  if [ -f "$output" ]; then
    grep -v ' INFO \|maxCnxns is not configured' "$output" | cut -c1-180 | tail -n 30
  fi
done
exit 0
