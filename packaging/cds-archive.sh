#!/bin/sh
# Builds automesh's class-data-sharing archive for one JDK and one jar:
#   cds-archive.sh JAVA JAR ARCHIVE [CLASSLIST]
# A static archive (-Xshare:dump) of the JDK's and the agent's classes that a real agent loads, as
# listed in CLASSLIST (default: automesh.classlist beside this script; packaging/make-classlist.sh
# records it from agents running in a test bed). Nothing of the agent runs here: no root, no
# network, no process left. JAR must be at the path it will be run from, with its final mtime: the
# JVM maps the archive only for that exact jar path, size and mtime and that exact JDK build.
# Never fails the caller: without an archive the agent only starts slower. On success the archive
# has been mapped once with -Xshare:on (which fails when it cannot be used).
set -u
java=$1 jar=$2 archive=$3
list=${4:-$(dirname "$0")/automesh.classlist}
say() { echo "automesh: $*" >&2; }
rm -f "$archive"
[ -r "$list" ] || { say "no CDS archive: no class list $list"; exit 0; }
"$java" -version >/dev/null 2>&1 || { say "no CDS archive: $java does not run"; exit 0; }
mkdir -p "$(dirname "$archive")" || { say "no CDS archive: cannot create $(dirname "$archive")"; exit 0; }
tmp=$archive.tmp.$$
trap 'rm -f "$tmp" "$tmp.log"' EXIT
trap 'exit 1' INT TERM
# Classes of the list that this jar or JDK lacks are skipped (a warning each, in the log only).
if ! "$java" -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$tmp" -cp "$jar" >"$tmp.log" 2>&1; then
  say "no CDS archive: the dump failed: $(tail -n 2 "$tmp.log" | tr '\n' ' ')"; exit 0
fi
if ! "$java" -Xshare:on -XX:SharedArchiveFile="$tmp" -jar "$jar" --version >/dev/null 2>"$tmp.log"; then
  say "no CDS archive: $java cannot map the one it built: $(tail -n 2 "$tmp.log" | tr '\n' ' ')"; exit 0
fi
chmod 0644 "$tmp" && mv "$tmp" "$archive" || { say "no CDS archive: cannot write $archive"; rm -f "$archive"; exit 0; }
