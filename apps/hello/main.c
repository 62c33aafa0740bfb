/* Greets, prints each argument on its own line, returns how many there were. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello from Ceres! I am %s.\n", argv[0]);
	for (int i = 1; i < argc; i++)
		printf("%s\n", argv[i]);
	return argc - 1;
}
