#!/usr/bin/env bash
# compare.sh DIR — run promtool 2.42 and promgate over every rule file and
# promtool unit-test file under DIR and print one line per file:
#   path  promtool-exit  promgate-exit  agree|disagree|note  kind  promgate-default-exit
# kind is rule, manifest (a PrometheusRule manifest) or test.
# Rule files: `check rules FILE`, both exits, and when both fail the set of
# error lines ("FILE: ..."); promtool's YAML decode errors ("yaml: ... line N")
# match a promgate line "FILE: N:C: ..." when the line numbers agree.
# Test files: `test rules FILE` run from the file's folder; exits and whole
# output compared, promgate's additions ("why:" and "WARNING (evaluation order)" lines) dropped.
# Env: PROMTOOL (default /usr/bin/promtool), PROMGATE (default
# /work/main/target/release/promgate), OUT (keep both tools' outputs there).
set -u
dir=${1:?usage: compare.sh DIR}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
PROMGATE=${PROMGATE:-/work/main/target/release/promgate}
out=${OUT:-$(mktemp -d)}
cd "$dir" || exit 2

# error-line set of a `check rules` output for file $1 (stdin: the output)
errset() {
  python3 -c '
import re, sys
f = sys.argv[1]; out = set()
lines = sys.stdin.read().splitlines()
yaml_block = False
for l in lines:
    if l.startswith(f + ": "):
        m = l[len(f) + 2:]
        yaml_block = False
        if m.startswith("yaml: unmarshal errors:"):
            yaml_block = True; continue
        y = re.match(r"yaml: line (\d+):", m)
        p = re.match(r"(\d+):\d+: ", m)
        if y: out.add("line %s" % y.group(1))
        elif p and sys.argv[2] == "promgate": out.add("line %s|%s" % (p.group(1), l))
        else: out.add(l)
    elif yaml_block and re.match(r"\s+line (\d+):", l):
        out.add("line %s" % re.match(r"\s+line (\d+):", l).group(1))
    else:
        yaml_block = False
for x in sorted(out): print(x)
' "$1" "$2"
}

# promgate lines "line N|full": agree with promtool set if the full line is there, else as "line N"
same_errs() {
  python3 -c '
import sys
pt = set(open(sys.argv[1]).read().splitlines()); pg = open(sys.argv[2]).read().splitlines()
g = set()
for x in pg:
    if x.startswith("line ") and "|" in x:
        n, full = x.split("|", 1)
        g.add(full if full in pt else n)
    else: g.add(x)
sys.exit(0 if g == pt else 1)
' "$1" "$2"
}

# test output with YAML decode errors: promtool's "yaml: unmarshal errors:" /
# "  line N: ..." / "yaml: line N: ..." lines and promgate's "FILE:N:C: ..." or
# "FILE: N:C: ..." lines stand for "decode error at line N"; the rest must match
same_test_out() {
  python3 -c '
import re, sys
def norm(path, tool):
    out = []; inblock = False
    for l in open(path).read().splitlines():
        if tool == "pt":
            if re.match(r"^(\S+: )?yaml: unmarshal errors:$", l): inblock = True; continue
            m = re.match(r"^\s+line (\d+): ", l) if inblock else None
            if m: out.append("YAMLERR " + m.group(1)); continue
            inblock = False
            m = re.match(r"^(\S+: )?yaml: line (\d+): ", l)
            if m: out.append("YAMLERR " + m.group(2)); continue
        else:
            m = re.match(r"^\S+?:(\d+):\d+: ", l) or re.match(r"^\S+?: (\d+):\d+: (unknown field|mapping key|cannot|.*(yaml|scalar|indentation|expect))", l)
            if m: out.append("YAMLERR " + m.group(1)); continue
        out.append(l)
    return out
a, b = norm(sys.argv[1], "pt"), norm(sys.argv[2], "pg")
key = lambda xs: ([x for x in xs if not x.startswith("YAMLERR")], sorted(set(x for x in xs if x.startswith("YAMLERR"))))
sys.exit(0 if key(a) == key(b) else 1)
' "$1" "$2"
}

find . -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.rules' -o -name '*.alerts' \) | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
  grep -qE '^\s*"?rule_files"?:' "$f" && grep -qE '^\s*"?tests"?:' "$f" && kind=test || {
    grep -qE '^"?groups"?:' "$f" || grep -qE '^"?kind"?:\s*"?PrometheusRule' "$f" || continue; kind=rule
    grep -qE '^"?kind"?:\s*"?PrometheusRule' "$f" && kind=manifest; }
  grep -qE '^\{\{|\{\{-? *(\$?\.Values|\.Release|\.Chart|include |tpl )' "$f" && continue   # a Helm template, not a rule file yet
  o=$out/$(echo "$f" | tr / _)
  if [ $kind = test ]; then
    d=$(dirname "$f"); b=$(basename "$f")
    (cd "$d" && timeout 900 "$PROMTOOL" test rules "$b") >"$o.promtool" 2>&1; pt=$?
    (cd "$d" && timeout 900 "$PROMGATE" test rules --semantics prometheus2 "$b") >"$o.promgate" 2>&1; pg=$?
    (cd "$d" && timeout 900 "$PROMGATE" test rules "$b") >"$o.promgate3" 2>&1; pg3=$?
    grep -vE '^\s*(why:|WARNING \(evaluation order\))' "$o.promgate" > "$o.promgate.cmp"   # our additions
    if [ $pt = $pg ] && { cmp -s "$o.promtool" "$o.promgate.cmp" || same_test_out "$o.promtool" "$o.promgate.cmp"; }; then v=agree; else v=disagree; fi
  else
    timeout 900 "$PROMTOOL" check rules "$f" >"$o.promtool" 2>&1; pt=$?
    timeout 900 "$PROMGATE" check rules --semantics prometheus2 "$f" >"$o.promgate" 2>&1; pg=$?
    timeout 900 "$PROMGATE" check rules "$f" >"$o.promgate3" 2>&1; pg3=$?
    if [ $pt = 0 ] && [ $pg = 0 ]; then v=agree
    elif [ $kind = manifest ] && [ $pt != 0 ] && [ $pg = 0 ]; then v=note
    elif [ $pt = 0 ] || [ $pg = 0 ]; then v=disagree
    else
      errset "$f" promtool <"$o.promtool" >"$o.pt.errs"; errset "$f" promgate <"$o.promgate" >"$o.pg.errs"
      same_errs "$o.pt.errs" "$o.pg.errs" && v=agree || v=disagree
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$pt" "$pg" "$v" "$kind" "$pg3"
done
