#!/usr/bin/env python3
"""Differential tests for `realmbox run --isolation none`: a busybox script
suite and the test programs (tests/programs, static and dynamic), each run
under the qemu-aarch64 oracle and under realmbox; stdout, exit status and
stderr (where deterministic) must match. See tests/py/lib/differential.py.

EXPECTED_PASS lists the cases that must pass: a failure of one of them, or
an oracle result that breaks a case's own expectation, fails this test.
Other cases are reported (xfail / pass) without failing it. Grow the list
as the library OS learns more; never shrink it to make the test pass.

  python3 tests/py/test_differential_none.py [-k NAME] [-v] [--list]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import differential as d  # noqa: E402
from lib.differential import Case, sh  # noqa: E402

LOREM_LINE2 = b"Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n"

BUSYBOX = [
    sh("echo", "echo hello world", expect_stdout=b"hello world\n"),
    sh("exit-status", "exit 42", expect_status=42),
    sh("pipes", "seq 1 100 | grep 7 | wc -l", expect_stdout=b"19\n"),
    sh("pipe-long", "seq 1 20000 | tail -n 1", expect_stdout=b"20000\n"),
    sh("redirections",
       "echo abc > /tmp/f; cat /tmp/f; echo def >> /tmp/f; wc -l < /tmp/f;"
       " cat /nonexistent 2>/dev/null || echo missing; echo to-stderr >&2; exec 3>/tmp/g;"
       " echo via-fd3 >&3; exec 3>&-; cat /tmp/g",
       expect_stdout=b"abc\n2\nmissing\nvia-fd3\n"),
    sh("loops",
       "for i in 1 2 3; do echo i=$i; done; i=0; while [ $i -lt 5 ]; do i=$((i+1)); done;"
       " echo $i; until [ $i -eq 0 ]; do i=$((i-1)); done; echo done $i",
       expect_stdout=b"i=1\ni=2\ni=3\n5\ndone 0\n"),
    sh("subshells",
       "(cd /data && pwd); pwd; x=$(echo inner); echo $x; (exit 3); echo status=$?;"
       " y=$( (echo a; echo b) | wc -l); echo $y",
       expect_stdout=b"/data\n/\ninner\nstatus=3\n2\n"),
    sh("functions-case",
       "f() { case $1 in a*) echo A;; *) echo other;; esac; return 7; }; f apple; f pear;"
       " echo rc=$?",
       expect_stdout=b"A\nother\nrc=7\n"),
    sh("ls", "ls /; ls /data; ls -a /data/tree", stdout_contains=b"words.txt"),
    sh("ls-long", "ls -ln /data/tree/a/one.txt /data/tree/c/link-to-one",
       stdout_contains=b"one.txt"),
    sh("cat", "cat /data/words.txt /data/lorem.txt", stdout_contains=b"Lorem ipsum"),
    sh("wc", "wc /data/lorem.txt; wc -c < /data/numbers.txt; wc -w /data/words.txt",
       stdout_contains=b"3893"),
    sh("sort-uniq", "sort /data/words.txt | uniq -c; sort -n -r /data/numbers.txt | head -3",
       stdout_contains=b"2 apple"),
    sh("grep",
       "grep -n an /data/words.txt; grep -c dolor /data/lorem.txt; grep -q zzz /data/words.txt;"
       " echo rc=$?; grep -E '^(fig|date)$' /data/words.txt",
       stdout_contains=b"rc=1"),
    sh("sed",
       "sed -n '2,3p' /data/lorem.txt; sed 's/a/A/g' /data/words.txt; cp /data/words.txt /tmp/w;"
       " sed -i 's/apple/APPLE/' /tmp/w; cat /tmp/w",
       stdout_contains=LOREM_LINE2),
    sh("head-tail",
       "head -n 3 /data/numbers.txt; tail -n 2 /data/numbers.txt; tail -c 10 /data/lorem.txt;"
       " head -c 5 /data/lorem.txt; echo",
       stdout_contains=b"999\n1000\n"),
    sh("seq", "seq 5; seq 2 3 20; seq -s, 1 5", expect_stdout=b"1\n2\n3\n4\n5\n2\n5\n8\n11\n14"
       b"\n17\n20\n1,2,3,4,5\n"),
    sh("mkdir-rm",
       "mkdir -p /tmp/a/b/c && touch /tmp/a/b/c/f && ls -R /tmp/a; rm -r /tmp/a; ls /tmp/a;"
       " echo rc=$?; mkdir /tmp; echo rc=$?; rmdir /data; echo rc=$?",
       stdout_contains=b"rc=1"),
    sh("cp-mv",
       "cp /data/words.txt /tmp/x; mv /tmp/x /tmp/y; wc -l < /tmp/y; ls /tmp; cp -r /data/tree"
       " /tmp/t2; find /tmp/t2 | sort; mv /tmp/nonexistent /tmp/z; echo rc=$?",
       stdout_contains=b"/tmp/t2/c/link-to-one"),
    sh("sha256sum", "sha256sum /data/words.txt /data/lorem.txt; echo -n abc | sha256sum",
       stdout_contains=b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    sh("gzip",
       "gzip -c /data/lorem.txt | gzip -dc | sha256sum; cp /data/numbers.txt /tmp/n; gzip /tmp/n;"
       " ls /tmp; zcat /tmp/n.gz | tail -n 1; gunzip /tmp/n.gz; wc -l < /tmp/n",
       stdout_contains=b"n.gz\n1000\n1000\n"),
    sh("find",
       "find /data/tree | sort; find /data -name '*.txt' -type f | sort; find /data/tree -type l",
       stdout_contains=b"/data/tree/c/link-to-one"),
    sh("env", "env | sort; env -i A=1 B=2 env | sort", stdout_contains=b"A=1\nB=2\n"),
    sh("env-custom", "echo $GREETING; env | grep GREETING",
       env=d.DEFAULT_ENV + ["GREETING=hi there"], expect_stdout=b"hi there\nGREETING=hi there\n"),
    sh("sleep", "sleep 0.2; echo slept; sleep 1 & wait; echo waited",
       expect_stdout=b"slept\nwaited\n"),
    sh("awk-xargs", "awk '{s+=$1} END {print s}' /data/numbers.txt; seq 3 | xargs echo",
       expect_stdout=b"500500\n1 2 3\n"),
    sh("tr-cut", "echo hello | tr a-z A-Z; echo a:b:c | cut -d: -f2",
       expect_stdout=b"HELLO\nb\n"),
    sh("not-found", "nonexistent_cmd; echo rc=$?", stdout_contains=b"rc=127"),
    sh("kill-self", "kill -TERM $$; echo not reached", expect_status=143, expect_stdout=b""),
    sh("background-jobs", "(sleep 0.1; echo bg) & echo fg; wait; echo end",
       expect_stdout=b"fg\nbg\nend\n"),
    sh("stdin-cat", "cat; echo end", stdin=b"line one\nline two\n",
       expect_stdout=b"line one\nline two\nend\n"),
    sh("stdin-wc", "wc -l", stdin=b"a\nb\nc\n", expect_stdout=b"3\n"),
    sh("cwd", "pwd; ls", cwd="/data/tree", expect_stdout=b"/data/tree\na\nc\n"),
    sh("user-ids", "id; touch /tmp/mine; ls -ln /tmp/mine | cut -c1-25",
       uid=1000, gid=1000, groups=[5, 6], stdout_contains=b"uid=1000"),
    sh("umask", "umask; touch /tmp/f; stat -c %a /tmp/f", umask=0o077,
       expect_stdout=b"0077\n600\n"),
    sh("rlimit-nofile", "ulimit -n", rlimits=[("RLIMIT_NOFILE", 256, 512)],
       expect_stdout=b"256\n"),
    sh("hostname", "hostname; uname -n", expect_stdout=b"realmbox\nrealmbox\n"),
    sh("uname-m", "uname -m; uname -s", expect_stdout=b"aarch64\nLinux\n"),
    sh("overlay-write", "echo x > /data/words.txt && cat /data/words.txt",
       expect_stdout=b"x\n"),
    sh("ls-missing", "ls /nonexistent", expect_status=1),
    sh("cat-large", "cat /bin/busybox | sha256sum; sha256sum /bin/busybox | cut -d' ' -f1",
       stdout_contains=b"-\n"),
    sh("dev-nodes", "head -c 8 /dev/zero | od -An -tx1; echo x > /dev/null; echo rc=$?;"
       " head -c 32 /dev/urandom | wc -c", stdout_contains=b"rc=0\n32\n"),
    sh("sigpipe-pipeline", "yes | head -n 3; echo rc=$?", expect_stdout=b"y\ny\ny\nrc=0\n"),
    # more processes over time than a Container Realm has RECs, and several at once
    sh("many-processes", "for i in $(seq 1 40); do echo $i | cat; done | tail -n 1; "
       "for i in 1 2 3 4 5 6 7 8; do sleep 0.2 & done; wait; echo all",
       expect_stdout=b"40\nall\n", timeout=120),
    sh("exec-replace", "exec echo replaced; echo not reached", expect_stdout=b"replaced\n"),
    sh("trap", "trap 'echo caught' USR1; kill -USR1 $$; echo after; trap 'echo bye' EXIT",
       expect_stdout=b"caught\nafter\nbye\n"),
    sh("pipeline-status", "false | true; echo $?; true | false; echo $?",
       expect_stdout=b"0\n1\n"),
    sh("big-write", "seq 1 100000 > /tmp/big; wc -c < /tmp/big; sha256sum < /tmp/big",
       stdout_contains=b"588895\n"),
    sh("deep-dirs", "mkdir -p /tmp/a/b/c/d/e/f && cd /tmp/a/b/c/d/e/f && pwd && cd ../../.. &&"
       " pwd && cd /tmp/a/b/c/d/e/f/../../../.. && ls", expect_stdout=b"/tmp/a/b/c/d/e/f\n"
       b"/tmp/a/b/c\nc\n"),
    sh("symlinks", "ln -s /data/words.txt /tmp/l; readlink /tmp/l; head -n 1 /tmp/l;"
       " ln -s nowhere /tmp/dangling; cat /tmp/dangling; echo rc=$?; ls /tmp",
       stdout_contains=b"/data/words.txt\nbanana\n"),
    sh("date-epoch", "date -u -d @0 +%Y-%m-%d; date -u -d @86400 +%s",
       expect_stdout=b"1970-01-01\n86400\n"),
    sh("readonly-rootfs", "touch /x; echo rc=$?; touch /tmp/f; echo rc=$?; mkdir /y; echo rc=$?;"
       " cat /data/words.txt | wc -l", readonly=True, expect_stdout=b"rc=1\nrc=1\nrc=1\n9\n"),
    Case("busybox-true", ["/bin/true"], single_program=True, expect_stdout=b""),
    Case("busybox-false", ["/bin/false"], single_program=True, expect_status=1),
    Case("busybox-echo", ["echo", "direct", "exec"], single_program=True,
         expect_stdout=b"direct exec\n"),
]

PROGRAMS = []
for kind in ("static", "dynamic"):
    p = f"/prog/{kind}/"
    PROGRAMS += [
        Case(f"{kind}/hello", [p + "hello"], bundle="programs", single_program=True,
             expect_stdout=b"hello from an arm64 container\n"),
        Case(f"{kind}/exit-7", [p + "exitcode", "7"], bundle="programs", single_program=True,
             expect_status=7),
        Case(f"{kind}/exit-sigterm", [p + "exitcode", "sig", "15"], bundle="programs",
             single_program=True, expect_status=143),
        Case(f"{kind}/exit-abort", [p + "exitcode", "abort"], bundle="programs",
             single_program=True, expect_status=134),
        Case(f"{kind}/args-env", [p + "args_env", "one", "two words", ""], bundle="programs",
             env=["PATH=/bin", "Z=last", "A=first"], cwd="/tmp",
             umask=0o027, stdout_contains=b"argv[2]=two words\n"),
        Case(f"{kind}/files", [p + "files"], bundle="programs",
             stdout_contains=b"files: ok\n"),
        Case(f"{kind}/procs", [p + "procs"], bundle="programs",
             stdout_contains=b"sum of 4 children: 46\n"),
        Case(f"{kind}/signals", [p + "signals"], bundle="programs", single_program=True,
             timeout=10,
             stdout_contains=b"alarm: 1\n"),
        Case(f"{kind}/memory", [p + "memory"], bundle="programs", single_program=True,
             stdout_contains=b"private write stayed private: 1\n"),
        Case(f"{kind}/timesleep", [p + "timesleep"], bundle="programs", single_program=True,
             stdout_contains=b"time() agrees: 1\n"),
        Case(f"{kind}/sysinfo", [p + "sysinfo"], bundle="programs", single_program=True,
             rlimits=[("RLIMIT_NOFILE", 300, 400)],
             stdout_contains=b"RLIMIT_NOFILE soft=300 hard=400\n"),
        Case(f"{kind}/threads", [p + "threads"], bundle="programs", single_program=True,
             stdout_contains=b"total=1000000"),
        Case(f"{kind}/stdin-filter", [p + "stdin_filter"], bundle="programs",
             single_program=True, stdin=b"abc\ndef\n", expect_stdout=b"ABC\nDEF\n"),
        Case(f"{kind}/epoll", [p + "epoll"], bundle="programs", single_program=True,
             stdout_contains=b"epoll: done\n"),
        Case(f"{kind}/eventfd-timerfd", [p + "eventfd_timerfd"], bundle="programs",
             single_program=True, stdout_contains=b"eventfd_timerfd: done\n"),
        Case(f"{kind}/sched-misc", [p + "sched_misc"], bundle="programs", single_program=True,
             stdout_contains=b"a cloexec: 1\n"),
        # 100 round trips between threads: ~2 s here, ~25 s in shim mode (a woken
        # thread waits for its cooperative scheduler there)
        Case(f"{kind}/epoll-echo", [p + "epoll_echo"], bundle="programs", single_program=True,
             timeout=90, stdout_contains=b"epoll_echo: done\n"),
        Case(f"{kind}/sock-unix", [p + "sock_unix"], bundle="programs",
             stdout_contains=b"child: 7\n", timeout=20),
        Case(f"{kind}/sock-inet", [p + "sock_inet"], bundle="programs",
             stdout_contains=b"client exit: 9\n", timeout=30),
        Case(f"{kind}/pthread-stress", [p + "pthread_stress"], bundle="programs",
             single_program=True, timeout=120, stdout_contains=b"pthread_stress: ok\n"),
        Case(f"{kind}/thread-exec", [p + "thread_exec", "exec"], bundle="programs",
             expect_stdout=b"before exec\nafter exec: tid == pid: 1\n"),
        Case(f"{kind}/thread-mainexit", [p + "thread_exec", "mainexit"], bundle="programs",
             single_program=True, expect_status=3, expect_stdout=b"worker outlived main\n"),
        Case(f"{kind}/thread-group-exit", [p + "thread_exec", "group"], bundle="programs",
             single_program=True, expect_status=5,
             expect_stdout=b"exit_group from a thread\n"),
        # three threads spin in user code, waiting on one another without a system call
        Case(f"{kind}/thread-spinners", [p + "thread_spin", "fair"], bundle="programs",
             single_program=True, expect_stdout=b"all 3 spinners ran\n"),
        # a spinner must not hold up a sleeper (its 300 ms end the process)
        Case(f"{kind}/thread-spin-sleep", [p + "thread_spin", "sleep", "300"],
             bundle="programs", single_program=True, expect_stdout=b"slept\n"),
    ]

# futex, /proc and /sys, timers and signals, shared memory (issue 4: wt-sig)
SIG_CASES = []
for kind in ("static", "dynamic"):
    p = f"/prog/{kind}/"
    SIG_CASES += [
        Case(f"{kind}/futex", [p + "futex"], bundle="programs", single_program=True,
             timeout=60, stdout_contains=b"futex: done\n"),
        Case(f"{kind}/sigsem", [p + "sigsem"], bundle="programs", single_program=True,
             timeout=180, stdout_contains=b"sigsem: done\n"),
        Case(f"{kind}/sigsem-basic", [p + "sigsem", "basic"], bundle="programs",
             single_program=True, timeout=180, stdout_contains=b"sigsem: done\n"),
        Case(f"{kind}/shmem", [p + "shmem"], bundle="programs", timeout=90,
             stdout_contains=b"shmem: done\n"),
        # hostile arguments (bad pointers, huge lengths, bad fds and flags, unknown
        # numbers): each call's result or errno name, line by line with the kernel's
        Case(f"{kind}/hostile-args", [p + "libos_hostile"], bundle="programs",
             single_program=True, timeout=60),
        # a handler's flags, x9..x15 and v16 do not leak into the interrupted code
        Case(f"{kind}/sigregs", [p + "sigregs"], bundle="programs", single_program=True,
             timeout=60, stdout_contains=b"sigregs: ok\n"),
    ]

CASES = BUSYBOX + PROGRAMS + SIG_CASES

# Cases that must pass under --isolation none: every case that passed with
# deploy/none.c on 2026-11-22 (all of them). New cases start outside the list
# until they pass.
EXPECTED_PASS = [
    "echo", "exit-status", "pipes", "pipe-long", "redirections", "loops", "subshells",
    "functions-case", "ls", "ls-long", "cat", "wc", "sort-uniq", "grep", "sed", "head-tail",
    "seq", "mkdir-rm", "cp-mv", "sha256sum", "gzip", "find", "env", "env-custom", "sleep",
    "awk-xargs", "tr-cut", "not-found", "kill-self", "background-jobs", "stdin-cat",
    "stdin-wc", "cwd", "umask", "rlimit-nofile", "hostname", "uname-m", "overlay-write",
    "busybox-true", "busybox-false", "busybox-echo", "static/hello", "static/exit-7",
    "static/exit-sigterm", "static/exit-abort", "static/args-env", "static/files",
    "static/procs", "static/memory", "static/timesleep", "static/stdin-filter",
    "dynamic/hello", "dynamic/exit-7", "dynamic/exit-sigterm", "dynamic/exit-abort",
    "dynamic/args-env", "dynamic/files", "dynamic/procs", "dynamic/timesleep",
    "dynamic/stdin-filter", "user-ids", "static/signals", "static/sysinfo", "dynamic/signals",
    "dynamic/memory", "dynamic/sysinfo", "static/threads", "dynamic/threads", "ls-missing",
    "cat-large", "dev-nodes", "sigpipe-pipeline", "many-processes", "exec-replace", "trap", "pipeline-status",
    "big-write", "deep-dirs", "symlinks", "date-epoch", "readonly-rootfs",
    "static/epoll", "dynamic/epoll", "static/eventfd-timerfd", "dynamic/eventfd-timerfd",
    "static/sched-misc", "dynamic/sched-misc",
    "static/epoll-echo", "dynamic/epoll-echo",
    "static/sock-unix", "dynamic/sock-unix", "static/sock-inet", "dynamic/sock-inet",
    "static/pthread-stress", "dynamic/pthread-stress", "static/thread-exec",
    "dynamic/thread-exec", "static/thread-mainexit", "dynamic/thread-mainexit",
    "static/thread-group-exit", "dynamic/thread-group-exit",
    "static/thread-spinners", "dynamic/thread-spinners",
    "static/thread-spin-sleep", "dynamic/thread-spin-sleep",
]

EXPECTED_PASS += [
    "static/futex", "dynamic/futex", "static/sigsem", "dynamic/sigsem",
    "static/sigsem-basic", "dynamic/sigsem-basic", "static/shmem", "dynamic/shmem",
    "static/sigregs", "dynamic/sigregs", "static/hostile-args", "dynamic/hostile-args",
]

if __name__ == "__main__":
    sys.exit(d.main(CASES, EXPECTED_PASS, "none"))
