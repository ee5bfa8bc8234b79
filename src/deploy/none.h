/*
 * Extras of the `none` deployment (deploy/none.c) beyond deploy.h.
 */
#ifndef DEPLOY_NONE_H
#define DEPLOY_NONE_H

/*
 * Build `vcpus` ready vCPUs now (the CPU engine's pool; a daemon does this
 * once at start) so that deploy_run does not pay for JIT construction.
 * Without it the first deploy_run starts a pool of REALMBOX_VCPU_POOL
 * (default 2) vCPUs. Returns 0 or a negative errno.
 */
int deploy_none_prepare(unsigned vcpus);

#endif /* DEPLOY_NONE_H */
