/*
 * The few C-library string functions the trusted code uses. Declared here so
 * that freestanding builds need no hosted header; hosted builds take the C
 * library's definitions, freestanding builds link lib/string.c.
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* LIB_STRING_H */
