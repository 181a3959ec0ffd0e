"""qemu-guest-agent's guest-exec, whatever carries the agent's commands
(a socket of our own, or `virsh qemu-agent-command`): start the program,
poll guest-exec-status until it exits, decode what it printed."""
import base64
import time


def guest_exec(call, argv, timeout=60, poll=0.5):
    """Run argv in the guest through `call(command, arguments)` (which
    returns the reply's "return"): (exit code, stdout, stderr)."""
    pid = call("guest-exec", {"path": argv[0], "arg": list(argv[1:]),
                              "capture-output": True})["pid"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = call("guest-exec-status", {"pid": pid})
        if st.get("exited"):
            out, err = (base64.b64decode(st.get(k, "")).decode(errors="replace")
                        for k in ("out-data", "err-data"))
            return st.get("exitcode"), out, err
        time.sleep(poll)
    raise RuntimeError(f"guest-exec {argv}: no exit in {timeout} s")
