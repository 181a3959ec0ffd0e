"""Soak (issue 16): 2,000 job files dropped into a served spool while runs
are cancelled and retried and the daemon is killed with SIGKILL and
started again, at random but from a fixed seed, with a bounded number of
each. Afterwards every job file has ended in exactly one place (its runs
done or failed, or the file rejected) with a reason, no run ID appears
twice, and no results directory holds two runs."""
import collections
import glob
import json
import os
import random
import signal
import subprocess
import time

from test_spool import SpoolCase
from zsimtest import ZSIM_ORCH, main

JOBS = 2000
SEED = 16
KILLS = 10
CANCELS = 80
RETRIES = 80
BUDGET_S = 150


class SpoolSoak(SpoolCase):
    @staticmethod
    def job_text(i):
        if i % 97 == 13:
            return "bad", "[job]\nexperiment = exp99999\n"                  # rejected
        if i % 53 == 7:
            return 2, "[job]\nexperiment = noop\nargs = --seconds 0\nrepeat = 2\n"
        if i % 211 == 5:
            return 1, "[job]\nexperiment = noop\nargs = --seconds 1\n"      # worth cancelling
        return 1, "[job]\nexperiment = noop\nargs = --seconds 0\n"

    def ids_in(self, state):
        try:
            return [n for n in os.listdir(self.state_dir(state)) if not n.startswith(".")]
        except FileNotFoundError:
            return []

    def queue(self, *args):
        return subprocess.run([ZSIM_ORCH, "--config", self.conf, "queue", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60)

    def test_soak(self):
        rng = random.Random(SEED)
        began = time.monotonic()
        staging = os.path.join(self.tmp, "staging")
        os.mkdir(staging)
        expect = {}
        for i in range(JOBS):
            name = f"s{i:04}.job"
            expect[name], text = self.job_text(i)
            with open(os.path.join(staging, name), "w") as f:
                f.write(text)
        names = sorted(expect)
        kills = cancels = retries = retry_failures = 0
        cancelled, retried = [], []
        dropped = 0
        while dropped < len(names):
            for name in names[dropped:dropped + rng.randint(1, 30)]:
                os.rename(os.path.join(staging, name), os.path.join(self.spool, name))
                dropped += 1
            action = rng.random()
            if action < 0.07 and kills < KILLS:
                self.stop(signal.SIGKILL)
                kills += 1
                time.sleep(rng.random() * 0.2)
                self.start()
            elif action < 0.4 and cancels < CANCELS:
                ids = self.ids_in("running") + self.ids_in("queued")[:20]
                if ids:
                    rid = rng.choice(ids)
                    res = self.queue("cancel", rid)
                    # it may have finished meanwhile: exit 1, saying so
                    self.assertIn(res.returncode, (0, 1), res.stderr)
                    cancels += 1
                    if res.returncode == 0:
                        cancelled.append(rid)
            elif action < 0.75 and retries < RETRIES:
                ids = self.ids_in("done") + self.ids_in("failed")
                if ids:
                    rid = rng.choice(ids)
                    res = self.queue("retry", rid)
                    retries += 1
                    if res.returncode == 0:
                        retried.append(res.stdout.split(" queued again as ")[1].strip())
                    else:
                        retry_failures += 1
                        # a run filed without a record cannot be retried
                        self.assertIn("cannot retry", res.stderr)
            time.sleep(rng.random() * 0.05)
        self.assertLess(time.monotonic() - began, BUDGET_S)

        # settle: nothing left to claim, queue or run
        deadline = began + BUDGET_S
        while True:
            waiting = [n for n in os.listdir(self.spool) if n.endswith(".job")]
            pending = (self.ids_in("queued") + self.ids_in("running") + self.ids_in("incoming")
                       + waiting)
            if not pending:
                break
            self.assertIsNone(self.daemon.poll(), self.serve_log())
            self.assertLess(time.monotonic(), deadline, (pending[:10], self.serve_log()[-3000:]))
            time.sleep(0.2)
        self.stop()
        elapsed = time.monotonic() - began
        # nothing went wrong that the daemon had to log as an error, but
        # a run that two SIGKILLs interrupted (failed, as it should be)
        errors = [line for line in self.serve_log().splitlines()
                  if line.startswith("<3>") and not line.endswith(": interrupted twice; failed")]
        self.assertEqual(errors, [])

        # no run ID twice, in any state
        where = collections.Counter()
        for state in ("queued", "running", "done", "failed"):
            where.update(self.ids_in(state))
        self.assertEqual([rid for rid, n in where.items() if n > 1], [])
        res = self.zo("queue", "ls", "--json")
        self.assertRun(res, 0)
        self.assertEqual(res.err, "")
        runs = json.loads(res.out)["jobs"]
        self.assertEqual(len(runs), len(where))
        self.assertEqual(len({r["id"] for r in runs}), len(runs))

        # every job file in exactly one place, with a reason
        rejected = self.state_dir("rejected")
        by_file = collections.defaultdict(list)
        for r in runs:
            if r["retry_of"] is None:
                by_file[r.get("file")].append(r)
        counts = collections.Counter()
        for name in names:
            mine = by_file.get(name, [])
            is_rejected = os.path.exists(os.path.join(rejected, name))
            self.assertNotEqual(bool(mine), is_rejected, name)
            if is_rejected:
                self.assertEqual(expect[name], "bad", name)
                with open(os.path.join(rejected, name + ".error")) as f:
                    self.assertIn("no such experiment", f.read())
                counts["files rejected"] += 1
                continue
            self.assertEqual(len(mine), expect[name], (name, mine))
            counts["files queued"] += 1
        for r in runs:
            state = r["state"]
            self.assertIn(state, ("done", "failed", "cancelled", "timed out"), r)
            counts["runs " + state] += 1
            if state == "done":
                self.assertEqual(r["exit"], 0, r)
            elif state == "cancelled":
                pass    # the status is the reason
            else:
                self.assertTrue(r["error"] is not None or r["exit"] is not None, r)
            if r.get("requeued"):
                counts["runs requeued after SIGKILL"] += 1
            if (r["error"] or "").startswith("the daemon stopped while it ran, twice"):
                counts["runs failed after two SIGKILLs"] += 1

        # no results directory holds two runs
        results = [r["results"] for r in runs if r.get("results")]
        self.assertEqual(len(results), len(set(results)))
        for d in glob.glob(os.path.join(self.tmp, "results", "*")):
            self.assertLessEqual(len(glob.glob(d + "/noop-*.params")), 1, d)
        for r in runs:
            if r["state"] == "done":
                self.assertEqual(len(glob.glob(r["results"] + "/noop-*.params")), 1, r)

        counts.update({"files dropped": len(names), "daemon SIGKILLs": kills,
                       "cancel commands": cancels, "cancels accepted": len(cancelled),
                       "retry commands": retries, "retries queued": len(retried),
                       "retries refused": retry_failures, "runs": len(runs)})
        print(f"\nsoak (seed {SEED}, {elapsed:.1f} s):")
        for k in sorted(counts):
            print(f"  {k}: {counts[k]}")


if __name__ == "__main__":
    main()
