/* Test program: the smallest container. Prints one line and exits 0. */
#include <stdio.h>

int main(void)
{
	printf("hello from an arm64 container\n");
	return 0;
}
