#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build what the KHO QEMU tests boot: an x86-64 bzImage configured from
# tinyconfig plus ./config and every ./config.d/*.config fragment (one per
# feature the scenarios test), the static test init (init.c) and an
# uncompressed initramfs holding init, a copy of the bzImage (the kernel
# init kexecs into) and kexec(8) from kexec-tools with its libraries.
#
#   Usage: [-k KSRC] [-o OUTDIR] [-j JOBS]
#
#   KSRC    kernel source tree (default: $KSRC, else the tree this file
#           is in); it is never written to: the kernel builds with O=
#   OUTDIR  output directory (default: $KHO_OUT, else ./kho-x86):
#             OUTDIR/kernel/          kernel build (O=)
#             OUTDIR/bzImage          copy of the kernel image
#             OUTDIR/init             static test init (init.c: its source)
#             OUTDIR/initramfs.cpio   the initramfs (newc, uncompressed)
#             OUTDIR/kho-enabled      present if the kernel has KHO
#   JOBS    make -j (default: $JOBS, else nproc)
#   CC      compiler for the kernel (default "ccache gcc" if ccache exists)
#
# Incremental: the kernel configuration is generated in OUTDIR/kconfig
# and copied to OUTDIR/kernel/.config only when it differs, so an
# unchanged tree rebuilds nothing.
#
# Debian packages: gcc make flex bison bc libelf-dev libssl-dev
# libc6-dev (static libc) kexec-tools (optional: /usr/sbin/kexec for the
# kexec-tools scenario).

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
KSRC=${KSRC:-$(cd "$HERE/../../../.." && pwd)}
OUTDIR=${KHO_OUT:-$PWD/kho-x86}
JOBS=${JOBS:-$(nproc)}

while getopts "k:o:j:h" opt; do
	case $opt in
	k) KSRC=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done

if [ -z "${CC:-}" ]; then
	if command -v ccache >/dev/null; then
		CC="ccache gcc"
	else
		CC=gcc
	fi
fi

die() {
	echo "kho build: $*" >&2
	exit 1
}

[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/arch/x86" ] ||
	die "$KSRC is not a kernel source tree"
[ ! -f "$KSRC/.config" ] ||
	die "$KSRC has a .config: O= builds need a clean source tree (make mrproper)"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
KSRC=$(cd "$KSRC" && pwd)
KOUT=$OUTDIR/kernel
# Let ccache hit across checkouts in other places (CI clones).
if [ -z "${CCACHE_BASEDIR:-}" ]; then
	CCACHE_BASEDIR=$(python3 -c 'import os, sys; print(os.path.commonpath(sys.argv[1:]))' \
		"$KSRC" "$OUTDIR")
	[ "$CCACHE_BASEDIR" != / ] || CCACHE_BASEDIR=
	export CCACHE_BASEDIR
fi
KCONF=$OUTDIR/kconfig
mkdir -p "$KOUT" "$KCONF"

kmake() {
	local dir=$1

	shift
	nice make -s -C "$KSRC" O="$dir" ARCH=x86_64 CC="$CC" "$@"
}

# Symbols the tests rely on; the KHO ones, and every =y of a config.d
# fragment, only once the tree has them.
REQUIRED="64BIT SMP PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD
	BINFMT_ELF PROC_FS SYSFS DEVTMPFS DEVTMPFS_MOUNT DEBUG_FS ACPI NUMA
	ACPI_NUMA SPARSEMEM DEFERRED_STRUCT_PAGE_INIT KEXEC_FILE RELOCATABLE
	RANDOMIZE_BASE"
KHO_SYMS="KEXEC_HANDOVER KEXEC_HANDOVER_DEBUGFS TEST_KEXEC_HANDOVER"

FRAGMENTS=$(ls "$HERE"/config.d/*.config 2>/dev/null || true)
FRAGMENT_SYMS=
[ -z "$FRAGMENTS" ] ||
	FRAGMENT_SYMS=$(sed -n 's/^CONFIG_\([A-Z0-9_]*\)=y$/\1/p' $FRAGMENTS)

has_symbol() {
	grep -rqs --include='Kconfig*' -E "^(menu)?config $1\$" \
		"$KSRC/kernel" "$KSRC/lib" "$KSRC/mm" "$KSRC/arch/x86" \
		"$KSRC/init" "$KSRC/drivers/base"
}

configure() {
	local sym missing=

	echo "kho build: configuring (tinyconfig + config) in $KCONF"
	kmake "$KCONF" tinyconfig >/dev/null
	(cd "$KCONF" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KCONF" \
		"$KCONF/.config" "$HERE/config" $FRAGMENTS) > "$KCONF/merge.log" 2>&1 ||
		{ cat "$KCONF/merge.log"; die "merge_config.sh failed"; }
	kmake "$KCONF" olddefconfig >/dev/null
	for sym in $REQUIRED; do
		grep -q "^CONFIG_$sym=y" "$KCONF/.config" || missing="$missing $sym"
	done
	for sym in $KHO_SYMS $FRAGMENT_SYMS; do
		if has_symbol "$sym"; then
			grep -q "^CONFIG_$sym=y" "$KCONF/.config" ||
				missing="$missing $sym"
		else
			echo "kho build: note: no CONFIG_$sym in $KSRC (plain kexec only)"
		fi
	done
	[ -z "$missing" ] ||
		die "not =y after merging the config fragments:$missing (see $KCONF/.config)"
	if ! cmp -s "$KCONF/.config" "$KOUT/.config"; then
		echo "kho build: kernel configuration changed"
		cp "$KCONF/.config" "$KOUT/.config"
	fi
	if grep -q '^CONFIG_KEXEC_HANDOVER=y' "$KOUT/.config"; then
		touch "$OUTDIR/kho-enabled"
	else
		rm -f "$OUTDIR/kho-enabled"
	fi
}

build_kernel() {
	local t0=$SECONDS

	echo "kho build: make bzImage ($KSRC -> $KOUT, -j$JOBS, CC=$CC)"
	kmake "$KOUT" -j"$JOBS" bzImage
	cmp -s "$KOUT/arch/x86/boot/bzImage" "$OUTDIR/bzImage" ||
		cp "$KOUT/arch/x86/boot/bzImage" "$OUTDIR/bzImage"
	echo "kho build: bzImage ready ($((SECONDS - t0)) s)"
}

build_init() {
	# By content: init.c may come from another tree than the last build.
	if [ ! -x "$OUTDIR/init" ] || ! cmp -s "$HERE/init.c" "$OUTDIR/init.c"; then
		echo "kho build: init"
		gcc -static -O2 -Wall -Wextra -o "$OUTDIR/init.tmp" "$HERE/init.c"
		mv "$OUTDIR/init.tmp" "$OUTDIR/init"
		cp "$HERE/init.c" "$OUTDIR/init.c"
	fi
}

# gen_init_cpio from the kernel build, or built here from its source.
gen_init_cpio() {
	local gen=$KOUT/usr/gen_init_cpio

	if [ ! -x "$gen" ]; then
		gen=$OUTDIR/gen_init_cpio
		[ -x "$gen" ] && [ "$gen" -nt "$KSRC/usr/gen_init_cpio.c" ] ||
			gcc -O2 -o "$gen" "$KSRC/usr/gen_init_cpio.c"
	fi
	echo "$gen"
}

build_initramfs() {
	local spec=$OUTDIR/initramfs.list kexec dirs lib
	local -A seen=()

	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "dir /proc 0755 0 0"
		echo "dir /sys 0755 0 0"
		echo "dir /tmp 1777 0 0"
		echo "dir /boot 0755 0 0"
		echo "dir /sbin 0755 0 0"
		echo "file /init $OUTDIR/init 0755 0 0"
		echo "file /boot/bzImage $OUTDIR/bzImage 0644 0 0"
		kexec=$(command -v kexec || true)
		[ -n "$kexec" ] || [ ! -x /usr/sbin/kexec ] || kexec=/usr/sbin/kexec
		if [ -n "$kexec" ]; then
			echo "file /sbin/kexec $kexec 0755 0 0"
			# Libraries and the dynamic loader, at the paths ldd prints.
			for lib in $(ldd "$kexec" | grep -oE '/[^ ]+'); do
				dirs=$(dirname "$lib")
				while [ "$dirs" != / ] && [ -z "${seen[$dirs]:-}" ]; do
					seen[$dirs]=1
					dirs=$(dirname "$dirs")
				done
				echo "file $lib $(readlink -f "$lib") 0755 0 0"
			done
		else
			echo "kho build: warning: no kexec(8) (install kexec-tools)" >&2
		fi
		for dirs in "${!seen[@]}"; do
			echo "dir $dirs 0755 0 0"
		done | sort
	} > "$spec.tmp"
	# Directories first: gen_init_cpio writes entries in order.
	{ grep '^dir ' "$spec.tmp" | sort -k2,2; grep -v '^dir ' "$spec.tmp"; } \
		> "$spec"
	rm -f "$spec.tmp"
	"$(gen_init_cpio)" "$spec" > "$OUTDIR/initramfs.cpio.tmp"
	mv "$OUTDIR/initramfs.cpio.tmp" "$OUTDIR/initramfs.cpio"
	echo "kho build: initramfs.cpio ($(du -k "$OUTDIR/initramfs.cpio" | cut -f1) KiB)"
}

configure
build_kernel
build_init
build_initramfs
