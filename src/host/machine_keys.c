/*
 * Machine attestation keys (machine_keys.h): generation with mbedTLS
 * (CTR-DRBG over the system entropy source), PEM storage with strict
 * permissions, and `realmbox machine key`.
 */
#include "host/machine_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#define KEY_PEM_MAX 1024

static const char *const key_names[] = {"platform-key.pem", "realm-key.pem"};

int host_runtime_root(const char *flag, char *out, size_t n, struct rb_err *err)
{
	const char *xdg;
	int len;

	if (flag && *flag)
		len = snprintf(out, n, "%s", flag);
	else if (geteuid() == 0)
		len = snprintf(out, n, "/run/realmbox");
	else if ((xdg = getenv("XDG_RUNTIME_DIR")) && *xdg)
		len = snprintf(out, n, "%s/realmbox", xdg);
	else
		return rb_err_set(err, EINVAL,
				  "no runtime root: XDG_RUNTIME_DIR is not set (use --root DIR)");
	if (len < 0 || (size_t)len >= n)
		return rb_err_set(err, ENAMETOOLONG, "runtime root too long");
	return 0;
}

/* A directory of ours with mode 0700, created if missing. */
static int private_dir(const char *path, struct rb_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return rb_err_sys(err, errno, "%s", path);
	if (lstat(path, &st) != 0)
		return rb_err_sys(err, errno, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return rb_err_set(err, ENOTDIR, "%s: not a directory", path);
	if (st.st_uid != geteuid())
		return rb_err_set(err, EPERM, "%s: owned by uid %u, not by us", path,
				  (unsigned)st.st_uid);
	if (st.st_mode & 077)
		return rb_err_set(err, EPERM,
				  "%s: mode %04o: must not be accessible to others (0700)", path,
				  (unsigned)(st.st_mode & 07777));
	return 0;
}

static int rng_seed(mbedtls_entropy_context *ent, mbedtls_ctr_drbg_context *drbg)
{
	static const unsigned char pers[] = "realmbox machine key";

	mbedtls_entropy_init(ent);
	mbedtls_ctr_drbg_init(drbg);
	return mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, ent, pers, sizeof(pers) - 1);
}

/* Generate a P-384 key and write it to path (O_EXCL, 0600). */
static int key_generate(const char *path, struct rb_err *err)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	unsigned char pem[KEY_PEM_MAX];
	int fd, ret = 0;
	size_t len;

	mbedtls_pk_init(&pk);
	if (rng_seed(&ent, &drbg) != 0 ||
	    mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(pk),
				mbedtls_ctr_drbg_random, &drbg) != 0 ||
	    mbedtls_pk_write_key_pem(&pk, pem, sizeof(pem)) != 0) {
		ret = rb_err_set(err, EIO, "%s: cannot generate a P-384 key", path);
		goto out;
	}
	len = strlen((char *)pem);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = rb_err_sys(err, errno, "%s", path);
		goto out;
	}
	if (write(fd, pem, len) != (ssize_t)len || fsync(fd) != 0) {
		ret = rb_err_sys(err, errno ? errno : EIO, "%s: write", path);
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
out:
	mbedtls_platform_zeroize(pem, sizeof(pem));
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

/* Read the key at path (checking its permissions) into out[48]. */
static int key_read(const char *path, uint8_t out[MACHINE_ATTEST_KEY_SIZE], struct rb_err *err)
{
	unsigned char pem[KEY_PEM_MAX + 1];
	mbedtls_pk_context pk;
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rb_err_sys(err, errno, "%s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rb_err_set(err, EINVAL, "%s: not a regular file", path);
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return rb_err_set(err, EPERM, "%s: mode %04o, uid %u: must be 0600 and ours", path,
				  (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	}
	n = read(fd, pem, KEY_PEM_MAX);
	close(fd);
	if (n <= 0)
		return rb_err_set(err, EINVAL, "%s: empty or unreadable", path);
	pem[n] = '\0';
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_key(&pk, pem, (size_t)n + 1, NULL, 0) != 0 ||
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP384R1 ||
	    mbedtls_mpi_write_binary(&mbedtls_pk_ec(pk)->d, out, MACHINE_ATTEST_KEY_SIZE) != 0)
		ret = rb_err_set(err, EINVAL, "%s: not a P-384 private key", path);
	mbedtls_pk_free(&pk);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	return ret;
}

int host_machine_keys_load(const char *root, struct machine_attest_keys *keys, struct rb_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	uint8_t *dst[] = {keys->platform_key, keys->realm_key};
	int ret;

	if ((ret = private_dir(root, err)) != 0)
		return ret;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/machine", root) >= sizeof(dir))
		return rb_err_set(err, ENAMETOOLONG, "runtime root too long");
	if ((ret = private_dir(dir, err)) != 0)
		return ret;
	for (unsigned i = 0; i < 2; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key_names[i]) >=
		    sizeof(path))
			return rb_err_set(err, ENAMETOOLONG, "runtime root too long");
		if (access(path, F_OK) != 0 && errno == ENOENT) {
			ret = key_generate(path, err);
			if (ret && err && err->errnum != EEXIST) /* EEXIST: lost a race, read it */
				return ret;
		}
		if ((ret = key_read(path, dst[i], err)) != 0)
			return ret;
	}
	return 0;
}

int host_machine_pubkey_pem(const struct machine_attest_keys *keys, char *out, size_t n,
			    struct rb_err *err)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	mbedtls_ecp_keypair *ec;
	int ret = 0;

	mbedtls_pk_init(&pk);
	if (rng_seed(&ent, &drbg) != 0 ||
	    mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) {
		ret = rb_err_set(err, EIO, "mbedTLS set-up failed");
		goto out;
	}
	ec = mbedtls_pk_ec(pk);
	if (mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP384R1) != 0 ||
	    mbedtls_mpi_read_binary(&ec->d, keys->platform_key, MACHINE_ATTEST_KEY_SIZE) != 0 ||
	    mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G, mbedtls_ctr_drbg_random, &drbg) !=
		    0 ||
	    mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)out, n) != 0)
		ret = rb_err_set(err, EINVAL, "cannot derive the platform public key");
out:
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

static void machine_usage(FILE *f)
{
	fprintf(f,
		"usage: realmbox machine key [--root DIR] [-o FILE]\n"
		"Print (or write to FILE) the machine's platform attestation public key as PEM,\n"
		"generating the machine's keys under the runtime root on first use.\n");
}

int host_cmd_machine(int argc, char **argv)
{
	const char *rootflag = NULL, *outfile = NULL;
	char root[PATH_MAX], pem[KEY_PEM_MAX];
	struct machine_attest_keys keys;
	struct rb_err err;
	int ret;

	if (argc < 2 || strcmp(argv[1], "key") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			machine_usage(stdout);
			return 0;
		}
		machine_usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			rootflag = argv[++i];
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			outfile = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			machine_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "realmbox: machine key: unknown argument '%s'\n", argv[i]);
			machine_usage(stderr);
			return 2;
		}
	}
	rb_err_clear(&err);
	/* machine key --root, else the global --root (it sets REALMBOX_ROOT), else the default */
	if (rootflag == NULL)
		rootflag = getenv("REALMBOX_ROOT");
	ret = host_runtime_root(rootflag, root, sizeof(root), &err);
	if (!ret)
		ret = host_machine_keys_load(root, &keys, &err);
	if (!ret)
		ret = host_machine_pubkey_pem(&keys, pem, sizeof(pem), &err);
	mbedtls_platform_zeroize(&keys, sizeof(keys));
	if (ret) {
		fprintf(stderr, "realmbox: machine key: %s\n", err.msg);
		return 1;
	}
	if (outfile) {
		FILE *f = fopen(outfile, "w");

		if (!f || fputs(pem, f) == EOF || fclose(f) != 0) {
			fprintf(stderr, "realmbox: machine key: %s: %s\n", outfile,
				strerror(errno));
			return 1;
		}
		return 0;
	}
	fputs(pem, stdout);
	return 0;
}
