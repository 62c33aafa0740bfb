#!/bin/sh
# The application's own files (APP_FILES in its app.mk, docs/vfs.md) as
# assembly for the kernel's link: a table vfs_app_files of
# { path, data, size } and its length vfs_app_nfiles, the files' bytes
# included as they are.
#
#   tools/appfiles.sh DIR/NAME=SOURCE... DIR/... > appfiles.S
#
# DIR/ alone (no =) is an empty directory.
set -eu
i=0
echo '	.section .rodata.vfs_app_files, "a"'
echo '	.balign 8'
echo '	.globl vfs_app_files'
echo 'vfs_app_files:'
for f in "$@"; do
	echo "	.quad path$i, data$i, data${i}_end - data$i"
	i=$((i + 1))
done
echo '	.globl vfs_app_nfiles'
echo "vfs_app_nfiles: .quad $i"
i=0
for f in "$@"; do
	dest=${f%%=*}
	case $dest in */*) ;; *) echo "appfiles: '$dest' is not DIR/NAME or DIR/" >&2; exit 1 ;; esac
	echo "path$i: .asciz \"$dest\""
	echo "data$i:"
	case $f in
	*=*)
		src=${f#*=}
		[ -f "$src" ] || { echo "appfiles: $src: no such file" >&2; exit 1; }
		echo "	.incbin \"$src\""
		;;
	esac
	echo "data${i}_end:"
	i=$((i + 1))
done
echo '	.section .note.GNU-stack, "", @progbits'
