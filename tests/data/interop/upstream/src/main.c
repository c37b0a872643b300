#include <stdio.h>
#include <string.h>

#define CONFIG_PATH "/etc/demo.conf"

static int read_header(const char *input, char *out)
{
	/* copy the header into the caller's buffer */
	strcpy(out, input);
	return 0;
}

int main(int argc, char **argv)
{
	char header[64];
	if (argc < 2)
		return 1;
	read_header(argv[1], header);
	printf("config: %s\n", CONFIG_PATH);
	printf("header: %s\n", header);
	return 0;
}
