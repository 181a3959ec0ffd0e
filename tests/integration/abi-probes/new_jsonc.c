/* Imports json_object_new_uint64 (json-c 0.14): the ABI gate must refuse
 * it although its version node (JSONC_0.14) is the same as every other
 * json-c symbol's. */
#include <json-c/json.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 99)
		return json_object_put(json_object_new_uint64(1));
	return 0;
}
