# Shared by the benchmark scripts (sourced, not run): the probe programs
# and OCI bundles they time. Needs CC (aarch64 cross compiler).
#   bench_probes DIR N...    DIR/p0-N (N getpid calls) and DIR/p1-N (N writes of 64 bytes)
#   bundle DIR ROOTFS ARGS...  DIR/config.json running ARGS in ROOTFS

bench_probes() { # dir n...
	local dir=$1; shift
	cat >"$dir/loop.c" <<'C'
static long sc3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
		      x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
void _start(void)
{
	char buf[64]; /* on the stack: no data segment */
	for (long i = 0; i < NCALLS; i++)
		if (KIND == 0)
			sc3(172, 0, 0, 0); /* getpid */
		else
			sc3(64, 1, (long)buf, sizeof(buf)); /* write(1, buf, 64) */
	sc3(94, 0, 0, 0);
}
C
	for kind in 0 1; do
		for n in "$@"; do
			$CC -O1 -static -nostdlib -ffreestanding -fno-stack-protector -DNCALLS="$n" \
				-DKIND=$kind -o "$dir/rootfs/p$kind-$n" "$dir/loop.c"
		done
	done
}

bundle() { # dir rootfs args...
	local d=$1; shift
	mkdir -p "$d"
	python3 - "$d" "$@" <<'PY'
import json, sys
d, args = sys.argv[1], sys.argv[2:]
root = args.pop(0)
cfg = {"ociVersion": "1.0.2", "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
       "args": args, "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
       "root": {"path": root, "readonly": False}, "hostname": "bench"}
json.dump(cfg, open(d + "/config.json", "w"))
PY
}
