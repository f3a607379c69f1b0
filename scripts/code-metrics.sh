#!/usr/bin/env bash
# Prints the figures issue 13 tracks: the largest source files, Receive<> handlers per actor, the places that parse a
# job spec, the messages that carry a spec's YAML, and the test assertions that match log text. Run from anywhere; reads the tracked sources only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sources() { git ls-files -- "$@" | grep '\.cs$' || true; }

echo "== largest source files (lines)"
sources 'Gensyn.*' | grep -v '^Gensyn.Tests/\|^Gensyn.Benchmarks/' | xargs wc -l | grep -v ' total$' | sort -rn | head -10

echo "== Receive handlers per actor (Receive<, ReceiveAsync<, Command<, Recover<)"
for f in $(sources 'Gensyn.Actors' 'Gensyn.Edge'); do
  n=$(grep -cE '\b(Receive|ReceiveAsync|Command|CommandAsync|Recover)<' "$f" || true)
  [[ "$n" -gt 0 ]] && echo "$n $f"
done | sort -rn

echo "== places that parse a job spec (JobSpecParser.Parse*)"
sources 'Gensyn.*' | grep -v '^Gensyn.Tests/\|^Gensyn.Benchmarks/' | xargs grep -nE 'JobSpecParser\.Parse[A-Za-z]*\(' | grep -v '^Gensyn.Contracts/Jobs/JobSpecParser' | wc -l

echo "== messages that carry a spec's YAML rather than its SpecRef (records and proto messages)"
{ sources 'Gensyn.Contracts/Messages'; git ls-files -- 'proto/*.proto'; } | xargs grep -nE 'string SpecYaml|string spec_yaml' \
  || echo "none"

echo "== test assertions that match log text (Assert.Contains/DoesNotContain/Matches over LogOf(...), Log(...) or a log string)"
sources 'Gensyn.Tests' | xargs grep -nE 'Assert\.(Contains|DoesNotContain|Matches|DoesNotMatch)\(.*(LogOf\(|Log\(|, *log\)|Logs\(\)\))' | wc -l
