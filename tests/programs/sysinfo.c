/* Test program: identity and limits: uname, ids, groups, rlimits, hostname length. */
#include <grp.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
	struct utsname u;
	struct rlimit rl;
	gid_t groups[64];
	int n;

	if (uname(&u) == 0)
		printf("sysname=%s machine=%s\n", u.sysname, u.machine);
	printf("uid=%u euid=%u gid=%u egid=%u\n", (unsigned)getuid(), (unsigned)geteuid(),
	       (unsigned)getgid(), (unsigned)getegid());
	n = getgroups(64, groups);
	printf("groups:");
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)groups[i]);
	printf("\n");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		printf("RLIMIT_NOFILE soft=%llu hard=%llu\n", (unsigned long long)rl.rlim_cur,
		       (unsigned long long)rl.rlim_max);
	printf("pid positive: %d\n", getpid() > 0);
	return 0;
}
