#include <stdlib.h>

int parse_count(const char *text)
{
	int value = atoi(text);
	return value;
}

int clamp(int value, int low, int high)
{
	if (value < low)
		return low;
	if (value > high)
		return high;
	return value;
}
