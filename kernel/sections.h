/*
 * The addresses linker.ld defines around the kernel image's sections, in
 * one place. Each is a label, not a variable: use its address only.
 */
#ifndef KERNEL_SECTIONS_H
#define KERNEL_SECTIONS_H

/* The whole image, text through bss. */
extern const char __kernel_start[], __kernel_end[];

/* Code: read-only and executable. */
extern const char __text_start[], __text_end[];

/* Read-only data, the parameter table included. */
extern const char __rodata_start[], __rodata_end[];

/* Writable: .data, .tdata, .ksyms and .bss, in that order. */
extern const char __data_start[], __bss_end[];

/* The initial TLS image, and the size of .tdata + .tbss with the gap between. */
extern const char __tdata_start[], __tdata_end[], __tls_size[];

#endif
