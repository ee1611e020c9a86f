#!/usr/bin/env bash
# Prints what one stage adds over another: a diffstat, then the unified diff.
#
#   tools/stage-diff.sh stage1-single-node stage2-protobuf          # stat + full diff
#   tools/stage-diff.sh --stat stage1-single-node stage2-protobuf   # stat only (what the docs show)
#   tools/stage-diff.sh --stat none stage1-single-node              # "none": everything is new
#
# Build output (target/) and whatever .gitignore ignores are left out, and every occurrence of a stage's own folder
# name in its own files (the pom's <artifactId> and <name>, "java -jar stage2-protobuf/target/stage2-protobuf.jar" in
# a README or a usage message) reads STAGE in both copies, so a line that differs only by the stage's name is no
# difference, and the diff shows the idea of the chapter and nothing else. A stage naming another stage keeps it.
set -euo pipefail

stat_only=false
if [ "${1:-}" = "--stat" ]; then
  stat_only=true
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: tools/stage-diff.sh [--stat] <old-stage|none> <new-stage>" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
old=${1%/}
new=${2%/}
for s in "$old" "$new"; do
  if [ "$s" != none ] && [ ! -d "$root/$s" ]; then
    echo "no stage folder '$s' in $root" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# copy <stage> <dest>: the stage's tracked and untracked-but-not-ignored files, its own name replaced by STAGE in
# every text file (grep -I skips binary ones; the name is matched whole, so stage1-single-node-x would stay).
copy() {
  mkdir -p "$2"
  [ "$1" = none ] && return 0
  (cd "$root/$1" && git ls-files -co --exclude-standard -z . | tar --null -T - -cf -) | tar -C "$2" -xf -
  grep -rlIZF -- "$1" "$2" | xargs -0 -r sed -i -E ":a; s#(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)#\\1STAGE\\2#g; ta"
}
copy "$old" "$tmp/old/$old"
copy "$new" "$tmp/new/$new"

cd "$tmp"
# diff exits 1 when the trees differ; that is the normal case here.
diff -ruN "old/$old" "new/$new" > diff.txt || [ $? -eq 1 ]

# A diffstat, computed here (no diffstat package needed): path | changes +++---
awk -v width=40 '
  /^diff -ruN / { file = $3; sub(/^old\/[^\/]+\//, "", file); order[++n] = file; next }
  /^(\+\+\+|---) / { next }
  /^\+/ { add[file]++; next }
  /^-/  { del[file]++; next }
  END {
    max = 0; longest = 0
    for (i = 1; i <= n; i++) {
      f = order[i]; t = add[f] + del[f]; if (t > max) max = t
      if (length(f) > longest) longest = length(f)
    }
    for (i = 1; i <= n; i++) {
      f = order[i]; a = add[f] + 0; d = del[f] + 0; t = a + d
      scale = (max > width) ? width / max : 1
      pa = int(a * scale + 0.5); pd = int(d * scale + 0.5)
      if (a > 0 && pa == 0) pa = 1
      if (d > 0 && pd == 0) pd = 1
      bar = ""
      for (j = 0; j < pa; j++) bar = bar "+"
      for (j = 0; j < pd; j++) bar = bar "-"
      printf " %-*s | %5d %s\n", longest, f, t, bar
      ta += a; td += d
    }
    printf " %d files changed, %d insertions(+), %d deletions(-)\n", n, ta, td
  }' diff.txt

if ! $stat_only; then
  echo
  # Drop the timestamps diff puts in the ---/+++ headers and the temporary folder names.
  sed -E -e 's#^(---|\+\+\+) (old|new)/([^\t]*)\t.*#\1 \3#' -e 's#^diff -ruN old/([^ ]*) new/(.*)#diff -ruN \1 \2#' diff.txt
fi
