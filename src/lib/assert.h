/*
 * ASSERT for invariants inside one trust boundary (never for anything a
 * less-trusted party supplied: that gets an error code). The platform
 * provides lib_panic.
 */
#ifndef LIB_ASSERT_H
#define LIB_ASSERT_H

/* Stop the machine: an invariant of the trusted code is broken. */
void lib_panic(const char *file, int line, const char *expr) __attribute__((noreturn));

#define ASSERT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			lib_panic(__FILE__, __LINE__, #cond);                                      \
	} while (0)

#endif /* LIB_ASSERT_H */
