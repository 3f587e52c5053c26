#!/bin/sh
# `cmake --install` into a scratch prefix gives a library, headers and a
# parzen.pc that a separate program can build against, shared and static,
# and a CLI and Lua module that run from there.
set -eu
build=$1 cc=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cmake --install "$build" --prefix "$dir/p" >/dev/null
export PKG_CONFIG_PATH="$dir/p/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir parzen)
cat >"$dir/use.c" <<'C'
#include <stdio.h>
#include <sample.h>
#include <version.h>
int main(void)
{
    gsl_rng *r = pz_rng_new(1, 2);
    printf("%s %d\n", pz_version_string(), r != NULL);
    gsl_rng_free(r);
    return 0;
}
C
$cc "$dir/use.c" -o "$dir/use" $(pkg-config --cflags --libs parzen)
out=$(LD_LIBRARY_PATH="$libdir" "$dir/use")
$cc "$dir/use.c" -o "$dir/use_static" $(pkg-config --cflags parzen) "$libdir/libparzen.a" \
    $(pkg-config --libs --static parzen | sed 's/-lparzen//')
out_static=$("$dir/use_static")
cli=$("$dir/p/bin/parzen" --version)
lua=$(LUA_CPATH="$libdir/lua/5.4/?.so" lua5.4 -e 'io.write(require("parzen").version)')
echo "shared: $out; static: $out_static; cli: $cli; lua: $lua"
[ "$out" = "$out_static" ] && [ "${out% 1}" != "$out" ] && [ "$cli" = "parzen ${out% 1}" ] && [ "$lua" = "${out% 1}" ]
