/*
 * The machine's attestation keys on the host: the platform key and the
 * Realm Attestation Key (RAK), both ECC P-384, generated once per machine
 * and kept as PEM files (SEC1 "EC PRIVATE KEY") under the runtime root:
 *
 *   ROOT/machine/platform-key.pem, ROOT/machine/realm-key.pem
 *
 * ROOT and ROOT/machine are 0700, the key files 0600, all owned by the
 * caller; anything looser (or owned by someone else) is refused, not
 * repaired. ROOT is --root DIR if given, else as runc: /run/realmbox for
 * root, $XDG_RUNTIME_DIR/realmbox otherwise (an error when unset).
 * At machine boot the host loads the keys and hands them to the monitor
 * (boot/machine.h), as provisioning would.
 */
#ifndef HOST_MACHINE_KEYS_H
#define HOST_MACHINE_KEYS_H

#include <stddef.h>

#include "boot/machine.h"
#include "host/err.h"

/* The runtime root for `flag` (--root, may be NULL) into out. */
int host_runtime_root(const char *flag, char *out, size_t n, struct rb_err *err);

/*
 * Load the keys under root, generating and storing any that is missing
 * (creating the directories). Returns 0 or a negative errno (err says why).
 */
int host_machine_keys_load(const char *root, struct machine_attest_keys *keys, struct rb_err *err);

/* The platform public key of keys, PEM (SubjectPublicKeyInfo), into out. */
int host_machine_pubkey_pem(const struct machine_attest_keys *keys, char *out, size_t n,
			    struct rb_err *err);

/* `realmbox machine key [--root DIR] [-o FILE]`. Returns the exit status. */
int host_cmd_machine(int argc, char **argv);

#endif /* HOST_MACHINE_KEYS_H */
