#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The packaging, checked end to end:
# - make_install: `make install` into a DESTDIR puts every file where PREFIX says, keeps an
#   edited settings file, and `make uninstall` takes the rest away again.
# - build, lintian: `scripts/build-deb.sh` (make deb) builds the package with
#   dpkg-buildpackage; lintian at its default level says nothing.
# - then in a copy of a cached minimal Debian 12 root (scripts/bookworm-root.sh), with the
#   host's /proc and /sys (tracefs, BTF) mounted in: install (apt-get install ./the.deb
#   resolves its dependencies there), man (man -w finds leaktrace(8); every option of
#   --help is in it), version, unit (installed, disabled, settings a conffile, 0600),
#   trace (leaktrace -d 2 -- a leaking C program reports its leaks), completion (the
#   installed script completes options and their values), conffile_kept (an edited
#   /etc/default/leaktrace survives a reinstall), remove (nothing left but the
#   configuration), purge (nothing of dpkg -L left but directories other packages own).
# Prints "PASS name", "FAIL name: why" or "SKIP name: why"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
failed=0
pass() { echo "PASS package/$1"; }
fail() { echo "FAIL package/$1: $2"; failed=1; }
skip() { echo "SKIP package/$1: $2"; }
chk() { # name, why, command...: PASS or FAIL on the command's status
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
after_install="man version unit trace completion conffile_kept remove purge"

work=$(mktemp -d /var/tmp/leaktrace-package.XXXXXX)
r=$work/root
cleanup() {
	# every mount first, so that rm never reaches the host's /proc or /sys
	if [ -d "$r" ]; then
		umount -R "$r/sys" 2>/dev/null || umount -R -l "$r/sys" 2>/dev/null
		umount "$r/proc" 2>/dev/null || umount -l "$r/proc" 2>/dev/null
	fi
	if findmnt -rn -o TARGET | grep -q "^$work/"; then
		echo "package: $work still has mounts; left in place" >&2
		return
	fi
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make install / uninstall, into a DESTDIR: no root needed
t_make_install() {
	local d=$work/destdir out f
	out=$(make --no-print-directory install DESTDIR="$d" PREFIX=/usr/local 2>&1) || {
		echo "make install failed: $(tail -n 3 <<<"$out")"
		return 1
	}
	for f in usr/local/sbin/leaktrace usr/local/share/man/man8/leaktrace.8 \
		usr/local/share/bash-completion/completions/leaktrace \
		usr/local/lib/systemd/system/leaktrace.service etc/default/leaktrace; do
		[ -f "$d/$f" ] || { echo "no /$f"; return 1; }
	done
	grep -q '^ExecStart=/usr/local/sbin/leaktrace ' "$d/usr/local/lib/systemd/system/leaktrace.service" ||
		{ echo "the installed unit does not run /usr/local/sbin/leaktrace"; return 1; }
	[ "$(stat -c %a "$d/etc/default/leaktrace")" = 600 ] || { echo "settings not 0600"; return 1; }
	echo "LEAKTRACE_OPTS=--comm mine" >>"$d/etc/default/leaktrace"
	make --no-print-directory install DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1 &&
		grep -q 'comm mine' "$d/etc/default/leaktrace" ||
		{ echo "a second make install overwrote the edited settings"; return 1; }
	make --no-print-directory uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1 ||
		{ echo "make uninstall failed"; return 1; }
	left=$(cd "$d" && find . -type f ! -path ./etc/default/leaktrace)
	[ -z "$left" ] || { echo "make uninstall left $left"; return 1; }
}
if out=$(t_make_install); then pass make_install; else fail make_install "$out"; fi

if [ "$(id -u)" -ne 0 ]; then
	for t in build lintian install $after_install; do skip "$t" "needs root"; done
	exit $failed
fi

if ! deb=$(scripts/build-deb.sh --no-lint "$work/deb" 2>"$work/build.err"); then
	fail build "$(tail -n 5 "$work/build.err" | tr '\n' ' ')"
	for t in lintian install $after_install; do skip "$t" "no package"; done
	exit 1
fi
pass build
if lint=$(scripts/lint-deb.sh "$deb" 2>&1) && [ -z "$lint" ]; then
	pass lintian
else
	fail lintian "$(tr '\n' ' ' <<<"$lint")"
fi

if ! cache=$(scripts/bookworm-root.sh 2>"$work/root.err"); then
	for t in install $after_install; do
		skip "$t" "no Debian 12 root: $(tail -n 1 "$work/root.err")"
	done
	exit $failed
fi
cp -a "$cache" "$r"
cp /etc/resolv.conf "$r/etc/resolv.conf"
cp "$deb" "$r/tmp/"
# the package's paths that the root has already: what remove and purge leave there
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\.||; s|/$||' | while read -r p; do
	if [ -n "$p" ] && { [ -e "$r$p" ] || [ -L "$r$p" ]; }; then echo "$p"; fi
done >"$work/before"
mount -t proc proc "$r/proc"
# tracefs, BTF, cgroups: the host's. rslave: unmounting them here never unmounts the host's.
mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys"
in_root() { chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
apt=(in_root env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false -q -y)

if ! out=$("${apt[@]}" update 2>&1 && "${apt[@]}" install "/tmp/$(basename "$deb")" 2>&1); then
	fail install "apt-get install ./$(basename "$deb") failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	for t in $after_install; do skip "$t" "not installed"; done
	exit 1
fi
pass install
in_root dpkg -L leaktrace | sort >"$work/files"

t_man() {
	local page opts txt o
	page=$(in_root man -w leaktrace) || { echo "man -w leaktrace found nothing"; return 1; }
	[ "$page" = /usr/share/man/man8/leaktrace.8.gz ] || { echo "man -w: $page"; return 1; }
	txt=$(in_root env MANWIDTH=200 man -P cat leaktrace 2>&1) || { echo "man: $txt"; return 1; }
	for s in SYNOPSIS OPTIONS "EXIT STATUS" EXAMPLES; do
		grep -q "^$s" <<<"$txt" || { echo "no $s section"; return 1; }
	done
	# the page and --help come from one table: every option of one is in the other
	opts=$(in_root leaktrace --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	for o in $opts; do
		grep -qF -- "$o" <<<"$txt" || { echo "$o is in --help, not in the man page"; return 1; }
	done
}
if out=$(t_man); then pass man; else fail man "$out"; fi

want=$(sed -n '1s/^leaktrace (\([^)]*\)).*/\1/p' debian/changelog)
out=$(in_root leaktrace --version 2>&1)
chk version "leaktrace --version said '$out', not 'leaktrace $want'" [ "$out" = "leaktrace $want" ]

t_unit() {
	local unit=/lib/systemd/system/leaktrace.service
	grep -qx "$unit" "$work/files" || { echo "no $unit in the package"; return 1; }
	grep -q '^ExecStart=/usr/sbin/leaktrace ' "$r$unit" || { echo "ExecStart is not /usr/sbin/leaktrace"; return 1; }
	# --no-enable: no symlink, and deb-systemd-helper was not told to enable it later
	if [ -n "$(find "$r/etc/systemd/system" -name leaktrace.service 2>/dev/null)" ]; then
		echo "the unit is enabled"; return 1
	fi
	in_root dpkg-query -W -f '${Conffiles}' leaktrace | grep -q '^ /etc/default/leaktrace ' ||
		{ echo "/etc/default/leaktrace is no conffile"; return 1; }
	[ "$(stat -c %a "$r/etc/default/leaktrace")" = 600 ] || { echo "settings not 0600"; return 1; }
}
if out=$(t_unit); then pass unit; else fail unit "$out"; fi

# a leaking program built here, run there: its two leaks by their functions
t_trace() {
	local json=/tmp/leaks.json res
	gcc -g -O0 -fno-omit-frame-pointer -fno-builtin -Itests/integration/progs \
		-o "$r/tmp/leaker" tests/integration/progs/leaker.c || { echo "cannot build leaker"; return 1; }
	out=$(timeout 60 chroot "$r" /usr/sbin/leaktrace -d 2 --json "$json" -- /tmp/leaker -q 2>&1) ||
		{ echo "leaktrace failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; return 1; }
	res=$(python3 - "$r$json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
got = {}
for s in rep["stacks"]:
    for fn in ("leak_small", "leak_big"):
        if s["frames"] and s["frames"][0].get("function") == fn:
            got[fn] = (s["bytes"], s["allocs"])
want = {"leak_small": (4800, 100), "leak_big": (40000, 10)}
print("ok" if got == want else f"want {want}, got {got}")
PY
)
	[ "$res" = ok ] || { echo "$res"; return 1; }
	grep -q 'leak_big' <<<"$out" || { echo "no leak_big in the text report"; return 1; }
}
if out=$(t_trace); then pass trace; else fail trace "$out"; fi

# the installed script, driven as bash would (bash-completion is the host's)
t_completion() {
	local bc=/usr/share/bash-completion/bash_completion
	[ -f "$bc" ] || { echo "SKIP no $bc on this host (Debian: bash-completion)"; return 0; }
	out=$(bash -c '
		source "$1" && source "$2" || exit 1
		comp() {
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			COMPREPLY=(); _leaktrace leaktrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			echo "${COMPREPLY[*]}"
		}
		comp leaktrace --max-ov
		comp leaktrace --mode ""
		comp leaktrace --python-malloc=
		comp leaktrace -d 5 -- --max-ov' _ "$bc" "$r/usr/share/bash-completion/completions/leaktrace" 2>/dev/null)
	[ "$out" = $'--max-overhead\nexact lite\nlibc' ] ||
		{ echo "completions: $(tr '\n' '|' <<<"$out")"; return 1; }
}
if out=$(t_completion); then
	case $out in SKIP*) skip completion "${out#SKIP }" ;; *) pass completion ;; esac
else
	fail completion "$out"
fi

t_conffile_kept() {
	echo "LEAKTRACE_OPTS=--comm mine" >>"$r/etc/default/leaktrace"
	out=$("${apt[@]}" install --reinstall "/tmp/$(basename "$deb")" 2>&1) ||
		{ echo "reinstall failed: $(tail -n 2 <<<"$out")"; return 1; }
	grep -q 'comm mine' "$r/etc/default/leaktrace" || { echo "the edit is gone"; return 1; }
}
if out=$(t_conffile_kept); then pass conffile_kept; else fail conffile_kept "$out"; fi

# What is left of dpkg -L's paths that was not there before the install (/usr/share/man,
# say, was); $1: a path allowed besides.
leftovers() {
	local p
	while read -r p; do
		[ "$p" = /. ] || [ "$p" = "${1:-}" ] && continue
		[ -e "$r$p" ] || [ -L "$r$p" ] || continue
		grep -qxF -- "$p" "$work/before" || echo "$p"
	done <"$work/files"
}
if ! out=$(in_root dpkg --remove leaktrace 2>&1); then
	fail remove "dpkg --remove: $(tail -n 2 <<<"$out")"
else
	left=$(leftovers /etc/default/leaktrace)
	if [ -n "$left" ]; then
		fail remove "left behind: $(tr '\n' ' ' <<<"$left")"
	elif [ ! -f "$r/etc/default/leaktrace" ]; then
		fail remove "the configuration went with remove"
	else
		pass remove
	fi
fi
if ! out=$(in_root dpkg --purge leaktrace 2>&1); then
	fail purge "dpkg --purge: $(tail -n 2 <<<"$out")"
else
	left=$(leftovers)
	chk purge "left behind: $(tr '\n' ' ' <<<"$left")" [ -z "$left" ]
fi
exit $failed
