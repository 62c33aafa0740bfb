/*
 * The addresses linker.ld defines around the kernel image's sections, in
 * one place. Each is a label, not a variable: use its address only.
 */
#ifndef KERNEL_SECTIONS_H
#define KERNEL_SECTIONS_H

/* The whole image, text through bss. */
extern const char __kernel_start[], __kernel_end[];

/* Code: read-only and executable; the application's is [__app_text_start, __text_end). */
extern const char __text_start[], __app_text_start[], __text_end[];

/* Read-only data, the parameter table included. */
extern const char __rodata_start[], __rodata_end[];

/* Writable: .data, .tdata, .ksyms and .bss, in that order. */
extern const char __data_start[], __bss_end[];
/* The application's part of .data and .bss, each page aligned (linker.ld). */
extern const char __app_data_start[], __app_data_end[], __app_bss_start[];

/* The initial TLS image, the size of .tdata + .tbss with the gap between, its alignment. */
extern const char __tdata_start[], __tdata_end[], __tls_size[], __tls_align[];

#endif
