"""A one-line progress bar for long runs: items done, rate, time left."""

from __future__ import annotations

import sys
import time


class Progress:
  """Rewrites one line on ``stream`` (stderr) after each :meth:`update`.

  Args:
    total: items in the whole run.
    done: items already done (a resumed run starts there).
    unit: what an item is, for the rate ('attacks', 'steps').
  """

  def __init__(self, total: int, done: int = 0, *, unit: str = 'attacks', stream=None):
    self.total, self.done, self.unit = total, done, unit
    self.stream = stream if stream is not None else sys.stderr
    self.start_done, self.start = done, time.perf_counter()

  def update(self, n: int, note: str = '') -> None:
    self.done += n
    elapsed = time.perf_counter() - self.start
    rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
    left = (self.total - self.done) / rate if rate > 0 else float('nan')
    width = 30
    filled = int(width * self.done / max(self.total, 1))
    self.stream.write(f'\r[{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total}'
                      f'  {rate:.2f} {self.unit}/s  {left:.0f} s left {note}')
    self.stream.flush()

  def close(self) -> None:
    self.stream.write('\n')
    self.stream.flush()
