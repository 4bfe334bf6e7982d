#!/usr/bin/env bash
# Vendors Swagger UI, which GET /docs serves, into internal/docs/static/ from
# the npm package swagger-ui-dist at a pinned version. Run it to upgrade (change
# VERSION and INTEGRITY together), then commit what it wrote. Nothing is fetched
# at run time or at build time: the files are committed and embedded.
set -euo pipefail

VERSION=5.35.0
INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==

cd "$(dirname "$0")/.."
static=internal/docs/static
licenses=internal/docs/third_party/swagger-ui-dist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

got=$(cd "$tmp" && npm pack --silent --json "swagger-ui-dist@$VERSION" |
	node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8"))[0]; console.log(p.integrity)')
if [ "$got" != "$INTEGRITY" ]; then
	echo "vendor-docs: swagger-ui-dist@$VERSION has integrity $got, want $INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tmp/swagger-ui-dist-$VERSION.tgz" -C "$tmp"
pkg=$tmp/package

# Only what the page loads: the bundle (it needs no standalone preset with
# the base layout), its stylesheet and an icon. The source-map comments go,
# so that a browser's developer tools ask for no file that is not served.
mkdir -p "$static" "$licenses"
for f in swagger-ui-bundle.js swagger-ui.css; do
	sed '/^\/[*\/]# sourceMappingURL=/d' "$pkg/$f" >"$static/$f"
done
cp "$pkg/favicon-32x32.png" "$static/"
cp "$pkg/LICENSE" "$pkg/NOTICE" "$pkg/swagger-ui-bundle.js.LICENSE.txt" "$licenses/"
echo "swagger-ui-dist@$VERSION $INTEGRITY" >"$licenses/VERSION"
echo "vendor-docs: swagger-ui-dist@$VERSION in $static"
