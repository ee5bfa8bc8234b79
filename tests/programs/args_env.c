/* Test program: argv, the environment (sorted), the working directory, umask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char cwd[4096];
	size_t n = 0;
	mode_t old;

	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	while (environ[n] != NULL)
		n++;
	qsort(environ, n, sizeof(char *), cmp);
	for (size_t i = 0; i < n; i++)
		printf("env: %s\n", environ[i]);
	printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(error)");
	old = umask(0);
	printf("umask=%03o\n", (unsigned)old);
	return 0;
}
