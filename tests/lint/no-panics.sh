#!/usr/bin/env bash
# Panics cannot happen (issue 8): fails when code under src/ outside the tests calls .unwrap(),
# .expect(, panic!, unreachable!, todo! or unimplemented!. Run from the repository root.
#
# Tests are recognised by the layout every module here follows: a file's tests start at its one
# `#[cfg(test)]` line, which is followed by `mod tests;` (the tests in <module>/tests.rs) or by
# an inline `mod tests {` whose closing `}` ends the file. Everything from that line on is
# skipped, and so are the <module>/tests.rs files; a file that breaks the layout fails the check
# rather than being guessed at. Comment lines are skipped.
#
# Justified uses go in tests/lint/no-panics.allow, one per line: `path: exact line text  # why`
# (the line as in the source, surrounding whitespace aside). An entry that matches nothing fails
# too, so the list stays short and true. Clippy checks the same and more (src/lib.rs).
set -euo pipefail

allow_file=tests/lint/no-panics.allow
pattern='\.unwrap\(\)|\.expect\(|\bpanic!|\bunreachable!|\btodo!|\bunimplemented!'
status=0
hits=()

[ -d src ] || { echo "no-panics: run from the repository root" >&2; exit 2; }

# Prints the lines of $1 that are not test code, as "line-number:text"; fails on another layout.
non_test_lines() {
  awk -v file="$1" '
    function broken(why) { print file ": " why " (see tests/lint/no-panics.sh)" > "/dev/stderr"; bad = 1; exit 1 }
    state == 0 && /^[[:space:]]*#\[cfg\(test\)\][[:space:]]*$/ { state = 1; next }
    state == 0 { print NR ":" $0; next }
    state == 1 && /^[[:space:]]*$/ { next }
    state == 1 && /^mod tests;[[:space:]]*$/ { state = 3; next }
    state == 1 && /^mod tests \{[[:space:]]*$/ { state = 2; next }
    state == 1 { broken("#[cfg(test)] at line " NR - 1 " is not followed by `mod tests;` or `mod tests {`") }
    state == 2 && /^\}[[:space:]]*$/ { state = 3; next }
    state == 2 { next }
    state == 3 && /^[[:space:]]*$/ { next }
    state == 3 { broken("code after the tests module, line " NR) }
    END { if (!bad && (state == 1 || state == 2)) broken("the tests module is not closed at the end of the file") }
  ' "$1"
}

while IFS= read -r file; do
  case "$file" in
    */tests.rs)
      # <dir>/tests.rs must be declared as `#[cfg(test)] mod tests;` by <dir>.rs or <dir>/mod.rs.
      dir=${file%/tests.rs}
      parent=$dir.rs
      [ -f "$parent" ] || parent=$dir/mod.rs
      if ! grep -A1 -E '^[[:space:]]*#\[cfg\(test\)\][[:space:]]*$' "$parent" 2>/dev/null | grep -qx 'mod tests;'; then
        echo "$file: not declared as #[cfg(test)] mod tests; by its parent module" >&2
        status=1
      fi
      continue ;;
  esac
  if ! lines=$(non_test_lines "$file"); then status=1; continue; fi
  while IFS= read -r hit; do
    [ -n "$hit" ] && hits+=("$file:$hit")
  done < <(printf '%s\n' "$lines" | grep -E "^[0-9]+:" | grep -vE '^[0-9]+:[[:space:]]*//' | grep -E "$pattern" || true)
done < <(find src -name '*.rs' | sort)

# The allow-list: "path: exact line text  # why".
declare -A allowed=() used=()
if [ -f "$allow_file" ]; then
  n=0
  while IFS= read -r entry || [ -n "$entry" ]; do
    n=$((n + 1))
    [[ "$entry" =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! "$entry" =~ ^([^:[:space:]]+):[[:space:]]+(.*[^[:space:]])[[:space:]][[:space:]]+#[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]]; then
      echo "$allow_file:$n: not \`path: exact line text  # why\`: $entry" >&2
      status=1
      continue
    fi
    allowed["${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"]=$n
  done < "$allow_file"
fi

for hit in "${hits[@]+"${hits[@]}"}"; do
  file=${hit%%:*}
  rest=${hit#*:}
  number=${rest%%:*}
  text=${rest#*:}
  text=$(sed -E 's/^[[:space:]]+|[[:space:]]+$//g' <<<"$text")
  if [ -n "${allowed["$file:$text"]+x}" ]; then
    used["$file:$text"]=1
  else
    echo "$file:$number: may panic outside the tests: $text" >&2
    status=1
  fi
done

for key in "${!allowed[@]}"; do
  if [ -z "${used["$key"]+x}" ]; then
    echo "$allow_file:${allowed["$key"]}: matches no line any more, remove it: $key" >&2
    status=1
  fi
done

if [ "$status" = 0 ]; then
  echo "no-panics: no unwrap, expect, panic!, unreachable!, todo! or unimplemented! outside the tests (${#allowed[@]} allowed)"
fi
exit "$status"
