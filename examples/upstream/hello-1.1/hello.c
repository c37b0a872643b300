/* hello: a tiny greeter, the example upstream of the mindelta workspace.
 *
 * Usage: hello [--version] [NAME]
 */
#include <stdio.h>
#include <string.h>

#define HELLO_VERSION "1.1"
#define NAME_MAX_LEN 32

static void greet(const char *name)
{
	char buffer[NAME_MAX_LEN];

	snprintf(buffer, sizeof(buffer), "%s", name);
	printf("Hello, %s!\n", buffer);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("hello %s\n", HELLO_VERSION);
		return 0;
	}
	if (argc > 1)
		greet(argv[1]);
	else
		greet("world");
	return 0;
}
