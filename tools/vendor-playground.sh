#!/usr/bin/env bash
# Fetch the playground's vendored browser libraries at pinned versions and
# copy the files the page serves into server/playground/static/vendor/. The tarballs are checked against the
# integrity hashes pinned here, so a re-run reproduces the committed files
# byte for byte.
#
#   tools/vendor-playground.sh          fetch and (re)write the vendored files
#   tools/vendor-playground.sh --check  fetch and compare; exit 1 on a difference
#
# Needs node and npm (npm pack downloads from the configured registry).
# To upgrade: change a version and its integrity (npm view PKG@VER
# dist.integrity), run the script, update static/vendor/README.md, and test
# the page (TestPlaygroundInBrowser).
set -euo pipefail

GRAPHIQL_VERSION=4.1.2
GRAPHIQL_INTEGRITY=sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==
REACT_VERSION=18.2.0
REACT_INTEGRITY=sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==
REACT_DOM_VERSION=18.2.0
REACT_DOM_INTEGRITY=sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==

mode=write
case "${1:-}" in
'') ;;
--check) mode=check ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=$root/server/playground/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION INTEGRITY: npm pack into $tmp/NAME, check, extract.
fetch() {
	local name=$1 version=$2 integrity=$3 dir=$tmp/$1 tgz got
	mkdir -p "$dir"
	tgz=$(cd "$dir" && npm pack --silent "$name@$version" | tail -n 1)
	got=sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$dir/$tgz")
	if [ "$got" != "$integrity" ]; then
		echo "$name@$version: integrity $got, want $integrity" >&2
		exit 1
	fi
	tar -xzf "$dir/$tgz" -C "$dir"
}

fetch graphiql "$GRAPHIQL_VERSION" "$GRAPHIQL_INTEGRITY"
fetch react "$REACT_VERSION" "$REACT_INTEGRITY"
fetch react-dom "$REACT_DOM_VERSION" "$REACT_DOM_INTEGRITY"

# Source in the package, destination under static/vendor/.
files=(
	"graphiql/package/graphiql.min.js graphiql/graphiql.min.js"
	"graphiql/package/graphiql.min.css graphiql/graphiql.min.css"
	"graphiql/package/LICENSE graphiql/LICENSE"
	"react/package/umd/react.production.min.js react/react.production.min.js"
	"react/package/LICENSE react/LICENSE"
	"react-dom/package/umd/react-dom.production.min.js react-dom/react-dom.production.min.js"
	"react-dom/package/LICENSE react-dom/LICENSE"
)

status=0
for pair in "${files[@]}"; do
	set -- $pair
	src=$tmp/$1 dst=$vendor/$2
	if [ ! -f "$src" ]; then
		echo "missing in the package: $1" >&2
		exit 1
	fi
	if [ "$mode" = check ]; then
		if ! cmp -s "$src" "$dst"; then
			echo "differs from the package: static/vendor/$2" >&2
			status=1
		fi
	else
		mkdir -p "$(dirname "$dst")"
		cp "$src" "$dst"
		echo "static/vendor/$2"
	fi
done
if [ "$mode" = check ] && [ $status -eq 0 ]; then
	echo "vendored files match graphiql@$GRAPHIQL_VERSION, react@$REACT_VERSION and react-dom@$REACT_DOM_VERSION"
fi
exit $status
