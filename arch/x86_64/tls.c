#include "arch/x86_64/tls.h"

#include <string.h>

uint64_t arch_tls_setup(unsigned char *block, size_t area, const void *image, size_t image_size)
{
	uint64_t *tcb = (uint64_t *)(block + area);

	memcpy(block, image, image_size);
	memset(block + image_size, 0, area - image_size);
	*tcb = (uint64_t)tcb;
	return (uint64_t)tcb;
}
