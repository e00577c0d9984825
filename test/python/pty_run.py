# Runs a command on a pseudo-terminal, as a person at a terminal meets it, for the tests of --interactive,
# progress and colour (Node has no pty of its own, and bgsafe takes no native module for one).
#
#   python3 pty_run.py '{"argv": [...], "cwd": "...", "env": {...}, "stdout": "pty" | "pipe",
#                        "prompt": "regex", "keys": ["y", "n"], "timeout": 60}'
#
# stdin and stderr are the terminal; stdout too, or a pipe with "stdout": "pipe". Each key is typed once
# the prompt has appeared one more time on the terminal (the first key after the first prompt, and so on);
# a "key" such as "SIGINT" is sent as that signal to the command's process group instead.
# Prints one JSON object: {"code": exit code (or -signal), "tty": what the terminal showed (CRLF as LF),
# "stdout": what the pipe got ("" with "stdout": "pty"), "timedOut": bool}.
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

spec = json.loads(sys.argv[1])
master, slave = pty.openpty()
env = dict(os.environ)
env.update(spec.get("env", {}))
for name in spec.get("unset", []):
    env.pop(name, None)
piped = spec.get("stdout", "pty") == "pipe"
proc = subprocess.Popen(
    spec["argv"],
    cwd=spec.get("cwd"),
    env=env,
    stdin=slave,
    stdout=subprocess.PIPE if piped else slave,
    stderr=slave,
    start_new_session=True,
)
os.close(slave)
prompt = re.compile(spec["prompt"]) if spec.get("prompt") else None
keys = list(spec.get("keys", []))
sent = 0
tty = b""
out = b""
deadline = time.monotonic() + spec.get("timeout", 60)
timed_out = False
fds = [master] + ([proc.stdout.fileno()] if piped else [])
while fds:
    if time.monotonic() > deadline:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        break
    ready, _, _ = select.select(fds, [], [], 0.1)
    for fd in ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            chunk = b""
        if not chunk:
            fds.remove(fd)
            continue
        if fd == master:
            tty += chunk
        else:
            out += chunk
    if prompt is not None and sent < len(keys):
        if len(prompt.findall(tty.decode("utf-8", "replace"))) > sent:
            if keys[sent].startswith("SIG"):  # a signal to the process group instead of a key
                os.killpg(proc.pid, getattr(signal, keys[sent]))
            else:
                os.write(master, keys[sent].encode())
            sent += 1
    if proc.poll() is not None and not ready:
        # Exited: take what is left, then stop.
        for fd in list(fds):
            try:
                while True:
                    r, _, _ = select.select([fd], [], [], 0.05)
                    if not r:
                        break
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    if fd == master:
                        tty += chunk
                    else:
                        out += chunk
            except OSError:
                pass
        break
code = proc.wait()
print(json.dumps({
    "code": code,
    "tty": tty.decode("utf-8", "replace").replace("\r\n", "\n"),
    "stdout": out.decode("utf-8", "replace"),
    "timedOut": timed_out,
    "keysSent": sent,
}))
