/* Slurm plans, pure: a sweep's manifest (which run each array task is),
 * the exact sbatch argv and batch script that submit it, the NodeName line
 * a node advertises, and what the health check does about a node. Facts
 * come in as values; nothing here runs a command or touches a file. */
#ifndef ZO_CORE_SLURM_H
#define ZO_CORE_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Seconds between the SIGTERM a run gets at its timeout and the end of
 * its Slurm time limit: enough to stop a large target and put the knobs
 * back (--signal=B:TERM@GRACE, --time=timeout+GRACE). */
#define ZO_SLURM_GRACE_S 300
/* Reason prefix of the drains the health check sets (and the only drains
 * it lifts). */
#define ZO_SLURM_REASON_PREFIX "zsim:"
/* The GRES a node advertises its swap (GiB the kernel enabled) as. */
#define ZO_SLURM_GRES "swapgb"

/* One array task: one run of the job file. */
struct zo_slurm_entry {
	char *name;       /* the run's name (name=, matrix values, -rN for repeats) */
	char *experiment;
	char **argv;      /* arguments after the experiment; NULL-terminated */
	unsigned repeat;  /* 1..[job] repeat */
	uint64_t timeout_s; /* 0: none */
};

struct zo_slurm_manifest {
	char *sweep;     /* the sweep's ID */
	char *job_file;  /* the job file's name (without .job) */
	char *results;   /* SHARED/<sweep>: each attempt's directory goes here */
	char *submitted; /* when (ISO 8601) */
	struct zo_slurm_entry *entries; /* index = SLURM_ARRAY_TASK_ID */
	size_t n;
};

/* The manifest as JSON text (one entry per line, so a 1,000-run sweep
 * stays readable and small); NULL without memory. */
char *zo_slurm_manifest_text(const struct zo_slurm_manifest *m);
/* Parse what zo_slurm_manifest_text wrote. -EINVAL with *ret_error. */
int zo_slurm_manifest_parse(const char *text, struct zo_slurm_manifest *ret,
			    char **ret_error);
void zo_slurm_manifest_release(struct zo_slurm_manifest *m);

/* The directory of one attempt of entry `index`:
 * RESULTS/<name>-<array job>_<index>-r<restart count>. */
char *zo_slurm_attempt_dir(const struct zo_slurm_manifest *m, size_t index,
			   const char *array_job_id, unsigned restart);
/* The same name without RESULTS/ and the restart: "<name>-<job>_<index>-r". */
char *zo_slurm_attempt_prefix(const struct zo_slurm_manifest *m, size_t index,
			      const char *array_job_id);

/* The target (GB) a run boots: its experiment's vm_size, 0 when it boots
 * none (noop) or its arguments do not parse. */
uint64_t zo_slurm_target_gb(const struct zo_slurm_entry *e);

/* What a node must have for a target of `target_gb`: the feature
 * "zerosim", and when the target is at least what the narrowest address
 * width maps with EPT (preflight's EPT rule), EPT off or enough address
 * bits: "zerosim&(ept_off|pabits46|pabits48)". Slurm refuses a constraint
 * naming a feature no node has, so only the features in `features` (every
 * node's, NULL-terminated; NULL: assume every width exists) are named.
 * -ENODEV: no node could take it (*ret says which features it would need),
 * -ENOMEM. */
int zo_slurm_constraint(uint64_t target_gb, char *const *features, char **ret);

struct zo_slurm_submit_plan {
	const char *sweep_dir;  /* SHARED/sweeps/<sweep>: --chdir, logs */
	const char *script;     /* the batch script's path (last argument) */
	const char *job_name;   /* --job-name */
	size_t n_runs;          /* --array=0-(n_runs-1) */
	unsigned parallel;      /* %P; 0: no cap */
	const char *partition;  /* NULL: the cluster's default */
	const char *constraint; /* zo_slurm_constraint's */
	uint64_t target_gb;     /* the largest target of the runs; 0: none */
	uint64_t node_ram_gb;   /* RAM every node gives the target (--mem); 0: none */
	uint64_t timeout_s;     /* the runs' timeout; 0: none (no --time) */
};

/* The swap (GiB) a node needs beyond the RAM promised: the GRES count. */
uint64_t zo_slurm_swap_gb(uint64_t target_gb, uint64_t node_ram_gb);
/* sbatch --parsable --array=0-(N-1)[%P] --exclusive --requeue
 * --constraint=... [--gres=swapgb:G] [--mem=...] [--time=M]
 * --signal=B:TERM@GRACE [--partition=X] --job-name=... --chdir=...
 * --output=... --open-mode=append SCRIPT; NULL-terminated, NULL without
 * memory. */
char **zo_slurm_sbatch_argv(const struct zo_slurm_submit_plan *p);
/* The batch script: it only execs `zsim-orch slurm task MANIFEST`. */
char *zo_slurm_batch_script(const char *manifest_path);
/* 'text' quoted for sh. */
char *zo_sh_quote(const char *text);

/* What a node is, for its NodeName line. */
struct zo_slurm_node_facts {
	const char *name;
	unsigned cpus;
	uint64_t mem_bytes;  /* MemTotal */
	bool zerosim;        /* a 0sim kernel */
	int ept;             /* 1 on, 0 off, -1 unknown (module not loaded) */
	unsigned phys_bits;  /* 0: unknown */
	uint64_t swap_bytes; /* the swap the kernel enabled (/proc/swaps) */
};

/* "zerosim,ept_off,pabits39" (what is known, in that order). */
char *zo_slurm_node_features(const struct zo_slurm_node_facts *f);
/* "NodeName=N CPUs=C RealMemory=MB Features=... Gres=swapgb:no_consume:G";
 * `dynamic`: the same without NodeName, for `slurmd -Z --conf`. */
char *zo_slurm_node_conf(const struct zo_slurm_node_facts *f, bool dynamic);
/* The GiB count a node advertises for its swap. */
uint64_t zo_slurm_node_swap_gb(uint64_t swap_bytes);

enum zo_slurm_health_action {
	ZO_SLURM_HEALTH_NONE,   /* leave the node as it is */
	ZO_SLURM_HEALTH_DRAIN,  /* drain it with the reason given */
	ZO_SLURM_HEALTH_RESUME, /* it passes and only our drain holds it */
};

/* The node's state as Slurm shows it ("drained", "IDLE+DRAIN", "mixed",
 * "down*"), its reason ("" for none) and the checks' failures ("" when it
 * passes) decide. *ret_reason: the drain reason (ZO_SLURM_REASON_PREFIX
 * and the failures, at most 250 bytes) for DRAIN, else NULL. A node
 * drained by someone else is never touched. */
enum zo_slurm_health_action zo_slurm_health_decide(const char *state, const char *reason,
						   const char *failures, char **ret_reason);

/* Features and GRES a node advertises against what the host is: NULL when
 * they agree, else what differs ("Features ... but the host is ..."). */
char *zo_slurm_features_differ(const char *advertised_features, const char *advertised_gres,
			       const struct zo_slurm_node_facts *host);

/* For status: which argument positions differ between the entries
 * ("settings that vary"): out[i] is true for a varying position. n_out is
 * the longest argv. Returns 0 or -ENOMEM. */
int zo_slurm_varying_args(const struct zo_slurm_manifest *m, bool **ret, size_t *ret_n);

#endif
