/*
 * A fresh library OS per fuzz input, on the fake PAL and rootfs of
 * tests/unit/test_libos_core.c (its setup and teardown, compiled into
 * libos_env.c unchanged): host files in a temporary directory checked
 * against a manifest (/bin/prog, /bin/sh -> prog, /etc/good, /etc/changed
 * which the host tampered with, symlinks, loops), one process (pid 1, cwd
 * /etc, fd 1 the console) with an RW page at 0x10000 and an R page at
 * 0x20000. Failed cmocka assertions abort (CMOCKA_TEST_ABORT=1).
 */
#ifndef FUZZ_LIBOS_ENV_H
#define FUZZ_LIBOS_ENV_H

struct task;

/* Boot the library OS; returns the task of its one process. */
struct task *fz_libos_begin(void);
/* Tear it down: every address space and the host directory. */
void fz_libos_end(void);

#endif /* FUZZ_LIBOS_ENV_H */
