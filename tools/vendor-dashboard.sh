#!/usr/bin/env bash
# Fetch the regulator dashboard's vendored browser libraries at pinned
# versions and copy the files the page serves into
# server/dashboard/static/vendor/. The tarballs are checked against the
# integrity hashes pinned here, so a re-run reproduces the committed files
# byte for byte.
#
#   tools/vendor-dashboard.sh          fetch and (re)write the vendored files
#   tools/vendor-dashboard.sh --check  fetch and compare; exit 1 on a difference
#
# Needs node and npm (npm pack downloads from the configured registry).
# To upgrade: change a version and its integrity (npm view PKG@VER
# dist.integrity), run the script, update static/vendor/README.md, and test
# the page.
set -euo pipefail

UPLOT_VERSION=1.6.32
UPLOT_INTEGRITY=sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
GRAPHQL_WS_VERSION=6.4.2
GRAPHQL_WS_INTEGRITY=sha512-wxhPhhOGJo8PbGDkBYVE76sZLDrS+GkyrR4bZECSLVbo0pZZNKs0HtBh2Ip/uaUuiVUxwO9ssI9R92buQfNSqQ==

mode=write
case "${1:-}" in
'') ;;
--check) mode=check ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=$root/server/dashboard/static/vendor
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

fetch uplot "$UPLOT_VERSION" "$UPLOT_INTEGRITY"
fetch graphql-ws "$GRAPHQL_WS_VERSION" "$GRAPHQL_WS_INTEGRITY"

# Source in the package, destination under static/vendor/.
files=(
	"uplot/package/dist/uPlot.iife.min.js uplot/uPlot.iife.min.js"
	"uplot/package/dist/uPlot.min.css uplot/uPlot.min.css"
	"uplot/package/LICENSE uplot/LICENSE"
	"graphql-ws/package/umd/graphql-ws.min.js graphql-ws/graphql-ws.min.js"
	"graphql-ws/package/LICENSE.md graphql-ws/LICENSE.md"
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
	echo "vendored files match uplot@$UPLOT_VERSION and graphql-ws@$GRAPHQL_WS_VERSION"
fi
exit $status
