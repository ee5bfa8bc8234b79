/*
 * mbedTLS configuration for the freestanding trusted code: the system
 * configuration (Debian's libmbedcrypto, whose code the emulated machine
 * links) minus the options whose declarations need hosted headers
 * (<stdio.h> for file I/O, <time.h>). They change no structure layout of
 * the bignum, ECP, ECDSA or SHA modules. Select it with
 * `#define MBEDTLS_CONFIG_FILE "lib/mbedtls_tcb_config.h"` before the
 * first mbedTLS include.
 */
#ifndef LIB_MBEDTLS_TCB_CONFIG_H
#define LIB_MBEDTLS_TCB_CONFIG_H

#include <mbedtls/config.h>

#undef MBEDTLS_FS_IO
#undef MBEDTLS_HAVE_TIME
#undef MBEDTLS_HAVE_TIME_DATE

#endif /* LIB_MBEDTLS_TCB_CONFIG_H */
