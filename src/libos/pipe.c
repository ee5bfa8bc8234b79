/*
 * Pipes: a 64 KiB ring buffer in library OS memory shared by a read end and
 * a write end. Readers block while empty and writers remain; writers block
 * while full; writing with no reader left raises SIGPIPE and fails EPIPE.
 */
#include "libos/kernel.h"

#define PIPE_CAP 65536UL

struct pipe {
	uint8_t *buf;
	size_t head, len; /* head: next byte to read */
	int readers, writers;
	uint64_t gen_in, gen_out; /* file_poll_gen: writes (and closes), reads (and closes) */
};

int pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_CAP);
	*rd = file_new(FT_PIPE, O_RDONLY, NULL);
	*wr = file_new(FT_PIPE, O_WRONLY, NULL);
	if (!p->buf || !*rd || !*wr) {
		kfree(p->buf);
		kfree(p);
		kfree(*rd);
		kfree(*wr);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	(*rd)->pipe = p;
	(*wr)->pipe = p;
	(*wr)->pipe_write = true;
	return 0;
}

void pipe_release(struct file *f)
{
	struct pipe *p = f->pipe;
	if (f->pipe_write)
		p->writers--;
	else
		p->readers--;
	p->gen_in++;
	p->gen_out++;
	ev_notify();
	if (p->readers == 0 && p->writers == 0) {
		kfree(p->buf);
		kfree(p);
	}
}

uint64_t pipe_gen(struct file *f, unsigned events)
{
	struct pipe *p = f->pipe;
	if (!(events & (1 | 4)))
		return p->gen_in + p->gen_out; /* ERR/HUP only: closes move both */
	return (events & 1 ? p->gen_in : 0) + (events & 4 ? p->gen_out : 0);
}

size_t pipe_avail(struct file *f)
{
	return f->pipe->len;
}

long pipe_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct pipe *p = f->pipe;
	if (f->pipe_write)
		return -EBADF;
	if (len == 0)
		return 0;
	for (;;) {
		if (p->len > 0)
			break;
		if (p->writers == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		uint32_t seq = ev_seq();
		int r = ev_wait(t, seq, -1);
		if (r == -ERESTARTSYS)
			return r;
	}
	size_t n = KMIN(len, p->len);
	size_t first = KMIN(n, PIPE_CAP - p->head);
	if (copy_out(t, ubuf, p->buf + p->head, first))
		return -EFAULT;
	if (n > first && copy_out(t, ubuf + first, p->buf, n - first))
		return -EFAULT;
	p->head = (p->head + n) % PIPE_CAP;
	p->len -= n;
	p->gen_out++;
	ev_notify();
	return (long)n;
}

long pipe_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct pipe *p = f->pipe;
	size_t done = 0;
	if (!f->pipe_write)
		return -EBADF;
	while (done < len) {
		if (p->readers == 0) {
			sig_send(t->proc, SIGPIPE);
			return done ? (long)done : -EPIPE;
		}
		size_t space = PIPE_CAP - p->len;
		/* writes of up to PIPE_BUF (4096) bytes are atomic */
		if (space == 0 || (len - done <= 4096 && space < len - done)) {
			if (f->flags & O_NONBLOCK)
				return done ? (long)done : -EAGAIN;
			uint32_t seq = ev_seq();
			int r = ev_wait(t, seq, -1);
			if (r == -ERESTARTSYS)
				return done ? (long)done : r;
			continue;
		}
		size_t n = KMIN(space, len - done);
		size_t tail = (p->head + p->len) % PIPE_CAP;
		size_t first = KMIN(n, PIPE_CAP - tail);
		if (copy_in(t, p->buf + tail, ubuf + done, first))
			return done ? (long)done : -EFAULT;
		if (n > first && copy_in(t, p->buf, ubuf + done + first, n - first))
			return done ? (long)done : -EFAULT;
		p->len += n;
		done += n;
		p->gen_in++;
		ev_notify();
	}
	return (long)done;
}

unsigned pipe_poll(struct file *f, unsigned events)
{
	struct pipe *p = f->pipe;
	unsigned r = 0;
	if (!f->pipe_write) {
		if (p->len > 0)
			r |= 1;
		if (p->writers == 0)
			r |= 16; /* POLLHUP */
	} else {
		if (p->readers == 0)
			r |= 8; /* POLLERR */
		else if (PIPE_CAP - p->len >= 4096)
			r |= 4;
	}
	return r & (events | 8 | 16);
}
