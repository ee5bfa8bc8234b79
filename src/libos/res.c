/*
 * Resource limits of the container (linux.resources, docs/resources.md):
 * the memory quota (the container's pages, as the deployment counts them
 * through pal->mem_pages; over it the whole container is killed with
 * SIGKILL, as a cgroup with memory.oom.group) and the pids limit (tasks
 * alive or not yet reaped; clone and exec from outside beyond it answer
 * EAGAIN, as Linux's pids controller does). Called with the lock held.
 */
#include "libos/kernel.h"

uint64_t res_mem_pages(void)
{
	return g.pal.mem_pages ? PAL(mem_pages) : 0;
}

/* The OOM kill: SIGKILL to every process of the container, init included. */
static void res_oom_kill(uint64_t used, uint64_t want)
{
	if (!g.stats.oom_kills) {
		lo_log(LOG_WARN,
		       "memory limit of %lu pages reached (%lu in use, %lu more wanted): "
		       "killing the container (OOM)",
		       (unsigned long)g.cfg.mem_limit_pages, (unsigned long)used,
		       (unsigned long)want);
		g.stats.oom_kills++; /* also the flag: g is reset at libos_init */
	}
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->state != P_ZOMBIE)
			sig_send(p, SIGKILL);
}

void res_oom_out_of_memory(struct process *p)
{
	lo_log(LOG_WARN,
	       "out of memory: pid %d wanted a page and the deployment has none left "
	       "(%lu pages in use; realm mode: REALMBOX_REALM_POOL_MAX_MB sets the pool): "
	       "killed (SIGKILL)",
	       p->pid, (unsigned long)res_mem_pages());
	sig_send(p, SIGKILL);
}

int res_mem_charge(uint64_t npages)
{
	if (!g.cfg.mem_limit_pages || !g.pal.mem_pages)
		return 0;
	uint64_t used = PAL(mem_pages);
	if (used + npages <= g.cfg.mem_limit_pages)
		return 0;
	res_oom_kill(used, npages);
	return -ENOMEM;
}

bool res_oom_killed(void)
{
	return g.stats.oom_kills != 0;
}

uint64_t res_pids_current(void)
{
	uint64_t n = g.live_tasks;

	for (struct process *p = g.all; p; p = p->next_all)
		if (p->state == P_ZOMBIE)
			n++;
	return n;
}

int res_pids_charge(void)
{
	if (!g.cfg.pids_limit || res_pids_current() < g.cfg.pids_limit)
		return 0;
	g.stats.pids_refused++;
	return -EAGAIN;
}
