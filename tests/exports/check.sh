#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The exporters against real clients; not part of `make test` (needs Debian's
# chromium and npm, with the registry reachable once):
#   tests/exports/check.sh [OUTDIR]
# Writes a sample profile in every format (gen_sample.c), then checks:
#   - SVG and HTML parse as XML; chromium renders the SVG (screenshot not blank);
#   - the flame graph's script in chromium: click-zoom, hover, search, Esc (probe.js);
#   - speedscope 1.25.0 (npm) imports the speedscope file and the folded file
#     ("Importing as ..." in its console), and the file passes speedscope's
#     own JSON schema (ajv);
#   - a 20,000-stack profile: time, sizes, still well-formed.
# LT_NODE_DIR: an existing install of package.json (skips npm install).
# Prints PASS/FAIL/SKIP lines; screenshots stay in OUTDIR to look at.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
out=${1:-$(mktemp -d /tmp/lt-exports.XXXXXX)}
mkdir -p "$out/big"
failed=0
pass() { echo "PASS exports/$1${2:+ ($2)}"; }
fail() { echo "FAIL exports/$1${2:+: $2}"; failed=1; }
py=/usr/bin/python3
[ -x $py ] || py=python3
chrome() { # url, extra args...
	local url=$1
	shift
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$(mktemp -d "$out/profile.XXXXXX")" --allow-file-access-from-files \
		--enable-logging=stderr --v=0 "$@" "$url" 2>&1 >/dev/null
}

# built by the Makefile, with its flags and the exporters' objects
make -s --no-print-directory .output/gen_sample || { fail build; exit 1; }
.output/gen_sample "$out" || { fail generate; exit 1; }

if $py -c 'import sys, xml.etree.ElementTree as E; [E.parse(f) for f in sys.argv[1:]]' \
	"$out/sample.svg" "$out/sample.html"; then
	pass xml_wellformed
else
	fail xml_wellformed
fi

if ! command -v chromium >/dev/null; then
	echo "SKIP exports/chromium: not installed (apt-get install -y chromium)"
	exit $failed
fi

chrome "file://$out/sample.svg" --window-size=1200,400 --screenshot="$out/sample.svg.png" >/dev/null
if stat=$($py "$here/pngstat.py" "$out/sample.svg.png"); then
	pass svg_renders "$stat"
else
	fail svg_renders "${stat:-no screenshot}"
fi

# probe.js drives the flame graph (HTML page and bare SVG) like a user;
# the expected match share comes from the folded file
cp "$here/probe.js" "$out/"
sed 's#</body>#<script src="probe.js"></script>\n</body>#' "$out/sample.html" > "$out/probe.html"
sed 's#</svg>#<script xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="probe.js"/>\n</svg>#' \
	"$out/sample.svg" > "$out/probe.svg"
want=$(awk '{t += $NF} /;xmalloc [0-9]+$/ {s += $NF} END {printf "%.2f%%", 100 * s / t}' \
	"$out/sample.folded")
for form in html svg; do
	log=$(chrome "file://$out/probe.$form" --window-size=1220,300 --screenshot="$out/probe.$form.png" |
		grep -oE '"LTCHECK [^"]*"|Uncaught [^"]*')
	echo "$log" | sed 's/^/    /'
	expect() { # name, pattern
		if grep -qE -- "$2" <<<"$log"; then
			pass "flame_${form}_$1"
		else
			fail "flame_${form}_$1" "no /$2/"
		fi
	}
	expect zoom 'zoom server_loop x=10.0 w=1180.00 label=server_loop'
	expect zoom_ancestors 'main anc=true w=1180.00'
	expect zoom_hides 'unzoom shown=true hidden=[1-9]'
	expect hover 'status=handle_request  \|  [0-9]+ bytes \(.*\), [0-9.]+%, [0-9]+ allocations  \|  native: /src/srv/http.c'
	expect search "search matched=Matched: $want \(.*\) hl=4 button=Clear search"
	expect search_nested 'search2 matched=Matched: [0-9.]+% \(.*\) hl=4'
	expect escape "esc hidden=0 matched='' unzoom shown=false"
	if grep -q Uncaught <<<"$log"; then fail "flame_${form}_script_errors"; fi
done

# speedscope, the real importer
if [ -n "${LT_NODE_DIR:-}" ]; then
	node_dir=$LT_NODE_DIR
else
	node_dir=$out/node
	mkdir -p "$node_dir"
	cp "$here/package.json" "$node_dir/"
	(cd "$node_dir" && npm install --no-audit --no-fund >/dev/null 2>&1) ||
		{ echo "SKIP exports/speedscope: npm install failed"; exit $failed; }
fi
ss=$node_dir/node_modules/speedscope/dist/release
if res=$(NODE_PATH=$node_dir/node_modules node "$here/validate.js" "$out/sample.speedscope.json"); then
	pass speedscope_schema "$res"
else
	fail speedscope_schema "$res"
fi
for f in sample.speedscope.json:"speedscope json file" sample.folded:"collapsed stack format" \
	sample.pb.gz:"protobuf encoded pprof file"; do
	file=${f%%:*}
	node -e 'const fs = require("fs"), [, src, dst, name] = process.argv;
		fs.writeFileSync(dst, "speedscope.loadFileFromBase64(" + JSON.stringify(name) + "," +
			JSON.stringify(fs.readFileSync(src).toString("base64")) + ")");' \
		"$out/$file" "$out/$file.js" "$file"
	msg=$(chrome "file://$ss/index.html#localProfilePath=$out/$file.js" \
		--virtual-time-budget=5000 --window-size=1200,700 --screenshot="$out/$file.png" |
		grep -oE '"(Importing|Failed)[^"]*"')
	if [ "$msg" = "\"Importing as ${f#*:}\"" ]; then
		pass "speedscope_import_${file#sample.}" "$msg"
	else
		fail "speedscope_import_${file#sample.}" "${msg:-no import message}"
	fi
done

# a large profile
t0=$(date +%s.%N)
.output/gen_sample "$out/big" 20000 || fail big_generate
t1=$(date +%s.%N)
sizes=$(cd "$out/big" && stat -c '%n=%s' sample.folded sample.svg sample.speedscope.json | tr '\n' ' ')
if $py -c 'import sys, json, xml.etree.ElementTree as E; E.parse(sys.argv[1]); json.load(open(sys.argv[2]))' \
	"$out/big/sample.svg" "$out/big/sample.speedscope.json"; then
	pass big_profile "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s for all four files; $sizes"
else
	fail big_profile
fi
echo "outputs and screenshots in $out"
exit $failed
