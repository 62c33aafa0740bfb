#ifndef ARCH_X86_64_IDT_H
#define ARCH_X86_64_IDT_H

#include <stdint.h>

/* Points every vector at its entry stub and loads the IDT. */
void idt_init(void);

#endif
