/* sched.c — applying process.ioPriority, process.scheduler and linux.memoryPolicy to the
 * calling process (the container's init or an exec'd process, before it drops privileges:
 * a realtime policy or a higher I/O class needs CAP_SYS_NICE / CAP_SYS_ADMIN). glibc has no
 * wrappers for these three calls, so they are raw syscalls with the kernel's own structs. */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/sched.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

/* include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0 (48 bytes). */
struct kernel_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int sched_apply_process(const struct oci_process *p, struct hk_error *err)
{
    if (p->io_priority.set) {
        int v = (p->io_priority.klass << IOPRIO_CLASS_SHIFT) | p->io_priority.priority;
        if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, v) < 0)
            return hk_error_errno(err, -errno, "process.ioPriority: ioprio_set");
    }
    if (p->scheduler.set) {
        const struct oci_scheduler *s = &p->scheduler;
        struct kernel_sched_attr a = {
            .size = sizeof(a),
            .sched_policy = (uint32_t)s->policy,
            .sched_flags = s->flags,
            .sched_nice = s->nice,
            .sched_priority = s->priority,
            .sched_runtime = s->runtime,
            .sched_deadline = s->deadline,
            .sched_period = s->period,
        };
        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) {
            int e = errno;
            if (e == EPERM)
                return hk_error_errno(err, -e,
                                      "process.scheduler: sched_setattr (a realtime or deadline "
                                      "policy needs CAP_SYS_NICE and, under a cgroup, a "
                                      "realtime budget)");
            return hk_error_errno(err, -e, "process.scheduler: sched_setattr");
        }
    }
    return 0;
}

int sched_apply_memory_policy(const struct oci_memory_policy *mp, struct hk_error *err)
{
    if (!mp->set)
        return 0;
    const unsigned long *mask = mp->has_nodes ? (const unsigned long *)mp->nodes : NULL;
    unsigned long maxnode = mp->has_nodes ? OCI_MAX_NUMA_NODES + 1 : 0;
    if (syscall(SYS_set_mempolicy, mp->mode | (int)mp->flags, mask, maxnode) < 0)
        return hk_error_errno(err, -errno, "linux.memoryPolicy: set_mempolicy");
    return 0;
}
