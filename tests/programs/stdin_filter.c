/* Test program: stdin to stdout: counts bytes and lines, upper-cases letters. */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
	long bytes = 0, lines = 0;
	int c;

	while ((c = getchar()) != EOF) {
		bytes++;
		if (c == '\n')
			lines++;
		putchar(toupper(c));
	}
	fprintf(stderr, "stdin_filter: %ld bytes, %ld lines\n", bytes, lines);
	return 0;
}
