"""ci/abi-gate: zsim-orch passes; binaries importing symbols newer than
CentOS 7.9's libraries are refused, each with the offending import named."""
import os
import subprocess

from zsimtest import BUILD_DIR, SOURCE_DIR, ZSIM_ORCH, TestCase, main

GATE = os.path.join(SOURCE_DIR, "ci", "abi-gate")
PROBES = os.path.join(BUILD_DIR, "tests", "integration", "abi-probes")


def gate(*binaries):
    return subprocess.run([GATE, *binaries], capture_output=True, text=True)


class AbiGate(TestCase):
    def test_zsim_orch_passes(self):
        res = gate(ZSIM_ORCH)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertEqual(res.stdout, f"abi-gate: OK: {ZSIM_ORCH}\n")

    def test_old_api_passes(self):
        res = gate(os.path.join(PROBES, "abi_probe_old_ok"))
        self.assertEqual(res.returncode, 0, res.stdout)

    def test_newer_symbols_are_refused(self):
        for probe, line in (
                ("abi_probe_new_libvirt", "libvirt.so.0 LIBVIRT_5.7.0: newer than libvirt 4.5.0"),
                ("abi_probe_new_blkid", "libblkid.so.1 BLKID_2_37: newer than libblkid 2.23"),
                ("abi_probe_new_jsonc", "json-c json_object_new_uint64: not in json-c 0.11")):
            path = os.path.join(PROBES, probe)
            res = gate(path)
            self.assertEqual(res.returncode, 1, res.stdout)
            self.assertIn(f"{path}: {line}\n", res.stdout)
        # one bad binary among good ones still fails the gate
        res = gate(ZSIM_ORCH, os.path.join(PROBES, "abi_probe_new_libvirt"))
        self.assertEqual(res.returncode, 1)

    def test_missing_binary_fails(self):
        res = gate("/nonexistent/zsim-orch")
        self.assertEqual(res.returncode, 1)
        self.assertIn("/nonexistent/zsim-orch: cannot inspect", res.stdout)


if __name__ == "__main__":
    main()
