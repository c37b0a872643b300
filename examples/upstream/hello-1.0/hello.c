/* hello: a tiny greeter, the example upstream of the mindelta workspace.
 *
 * Usage: hello [NAME]
 */
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 32

static void greet(const char *name)
{
	char buffer[NAME_MAX_LEN];

	strcpy(buffer, name);
	printf("Hello, %s!\n", buffer);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		greet(argv[1]);
	else
		greet("world");
	return 0;
}
