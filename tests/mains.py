"""Run an experiment main as ``python -m experiments.<name> ...`` does, cheaply.

Each run is its own process with its own argv, environment, exit status, stdout and
stderr, as a subprocess is; but it is forked from a server process that has already
imported jax, icdjax and matplotlib (about 3 of the 4.5 seconds a fresh interpreter spends
before a main parses its flags). The server does nothing but those imports: no JAX backend
starts there, so every child starts its own, as a fresh process would. One server per
concurrent caller, started on first use and kept for the session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRELOAD = ['jax', 'jax.numpy', 'flax', 'optax', 'matplotlib.pyplot', 'PIL.Image', 'imagehash',
           'icdjax', 'experiments.common']

_SERVER = r'''
import importlib, json, os, runpy, sys, traceback
sys.path.insert(0, ROOT)
os.environ.setdefault('MPLBACKEND', 'Agg')
for name in PRELOAD:
  importlib.import_module(name)
sys.stdout.write('ready\n'); sys.stdout.flush()

def child(req):
  os.chdir(ROOT)
  os.environ.clear()
  os.environ.update(req['env'])
  if req['env'].get('JAX_PLATFORMS'):
    import jax
    jax.config.update('jax_platforms', req['env']['JAX_PLATFORMS'])
  for fd, path in ((0, os.devnull), (1, req['out']), (2, req['err'])):
    handle = os.open(path, os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_TRUNC)
    os.dup2(handle, fd)
    os.close(handle)
  sys.stdin = open(0, closefd=False)
  sys.stdout = open(1, 'w', closefd=False)
  sys.stderr = open(2, 'w', closefd=False)
  sys.argv = [req['module'], *req['args']]
  code = 0
  try:
    runpy.run_module(req['module'], run_name='__main__', alter_sys=True)
  except SystemExit as e:
    if e.code is None:
      code = 0
    elif isinstance(e.code, int):
      code = e.code
    else:
      print(e.code, file=sys.stderr)
      code = 1
  except BaseException:
    traceback.print_exc()
    code = 1
  for stream in (sys.stdout, sys.stderr):
    try:
      stream.flush()
    except Exception:
      pass
  os._exit(code & 0xFF)

for line in sys.stdin:
  req = json.loads(line)
  pid = os.fork()
  if pid == 0:
    child(req)
  sys.stdout.write(f'{pid}\n'); sys.stdout.flush()
  _, status = os.waitpid(pid, 0)
  sys.stdout.write(f'{os.waitstatus_to_exitcode(status)}\n'); sys.stdout.flush()
'''

_free: list[subprocess.Popen] = []
_lock = threading.Lock()


def _start() -> subprocess.Popen:
  code = f'ROOT = {ROOT!r}\nPRELOAD = {PRELOAD!r}\n' + _SERVER
  server = subprocess.Popen([sys.executable, '-c', code], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, JAX_PLATFORMS='cpu'))
  if server.stdout.readline().strip() != 'ready':
    raise RuntimeError(f'the main runner did not start (status {server.wait()})')
  return server


def run(module: str, *args: str, env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
  """``python -m module *args`` in the repository root, with ``JAX_PLATFORMS=cpu``."""
  env = dict(os.environ if env is None else env)
  env.setdefault('JAX_PLATFORMS', 'cpu')
  with _lock:
    server = _free.pop() if _free else None
  server = server or _start()
  with tempfile.TemporaryDirectory() as tmp:
    out, err = os.path.join(tmp, 'stdout'), os.path.join(tmp, 'stderr')
    for path in (out, err):
      open(path, 'w', encoding='utf-8').close()  # pylint: disable=consider-using-with
    request = {'module': module, 'args': list(args), 'env': env, 'out': out, 'err': err}
    server.stdin.write(json.dumps(request) + '\n')
    server.stdin.flush()
    pid = int(server.stdout.readline())
    fired = []

    def kill():
      fired.append(pid)
      try:
        os.kill(pid, signal.SIGKILL)
      except ProcessLookupError:  # it ended just now
        pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    status = int(server.stdout.readline())
    timer.cancel()
    with open(out, encoding='utf-8', errors='replace') as f:
      stdout = f.read()
    with open(err, encoding='utf-8', errors='replace') as f:
      stderr = f.read()
  with _lock:
    _free.append(server)
  if fired:
    raise subprocess.TimeoutExpired([module, *args], timeout, stdout, stderr)
  return subprocess.CompletedProcess([sys.executable, '-m', module, *args], status, stdout,
                                     stderr)
