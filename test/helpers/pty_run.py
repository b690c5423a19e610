"""Run a command on a new pseudo-terminal (its session leader, the terminal's foreground group), type
Ctrl-C once after the command printed the line "ready", and print everything it wrote, then "status=N"
(N as a shell shows it: 128+signal for a signal death). Every wait is bounded (15 s in all).

Usage: python3 pty_run.py COMMAND [ARG...]
"""
import os
import pty
import select
import sys
import time

argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
sent = False
deadline = time.time() + 15
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    # The whole line: Ctrl-C makes the terminal discard output not yet read (no NOFLSH), so a
    # line break still queued behind "ready" would be lost.
    if not sent and b'ready\r\n' in out:
        os.write(fd, b'\x03')
        sent = True
if time.time() >= deadline:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
sys.stdout.write(out.decode('utf-8', 'replace').replace('\r\n', '\n'))
sys.stdout.write('status=%d\n' % code)
