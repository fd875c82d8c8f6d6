"""Figures: the paper's Figures 2, 5 and 6, and the ICD's threshold curves."""

from __future__ import annotations

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np


def _save(fig, path, *, dpi: int) -> None:
  """Lays out, writes and closes a figure."""
  fig.tight_layout()
  fig.savefig(path, dpi=dpi)
  plt.close(fig)


def _show(ax, image, title=None, xlabel=None):
  ax.imshow(np.asarray(image), cmap='gray', vmin=0, vmax=255, interpolation='nearest')
  ax.set_xticks([])
  ax.set_yticks([])
  if title:
    ax.set_title(title, fontsize=9)
  if xlabel:
    ax.set_xlabel(xlabel, fontsize=9)


def image_row(path, images, titles, captions, suptitle=None):
  """A row of 8-bit images with a title above and a caption below each."""
  n = len(images)
  fig, axes = plt.subplots(1, n, figsize=(1.9 * n, 2.6))
  for ax, im, t, c in zip(np.atleast_1d(axes), images, titles, captions):
    _show(ax, im, t, c)
  if suptitle:
    fig.suptitle(suptitle, fontsize=10)
  _save(fig, path, dpi=110)


def distance_distributions(path, copy_distances: dict, different: np.ndarray):
  """Histograms of the Hamming distance for each copy transform and for different digits."""
  fig, ax = plt.subplots(figsize=(7, 4))
  bins = np.arange(0, 66) - 0.5
  for name, d in copy_distances.items():
    ax.hist(d, bins=bins, histtype='step', density=True, label=f'copy: {name}')
  ax.hist(different, bins=bins, histtype='stepfilled', alpha=0.3, density=True,
          color='k', label='different digits')
  ax.set_xlabel('Hamming distance to the original (aHash, 64 bits)')
  ax.set_ylabel('fraction of pairs')
  ax.set_xlim(-0.5, 40)
  ax.legend(fontsize=8)
  _save(fig, path, dpi=110)


def threshold_curves(path, thresholds, true_copy_rate, false_copy_rate, marks=(10, 15),
                     attack_rate=None):
  """True-copy and false-copy rate against the threshold (optionally an attack's)."""
  fig, ax = plt.subplots(figsize=(7, 4))
  ax.plot(thresholds, true_copy_rate, label='true-copy rate (transformed copies)')
  ax.plot(thresholds, false_copy_rate, label='false-copy rate (different digits)')
  if attack_rate is not None:
    ax.plot(thresholds, attack_rate, label='attack success rate')
  for m in marks:
    ax.axvline(m, color='grey', ls=':', lw=1)
  _finish_rate_plot(fig, ax, path)


def _finish_rate_plot(fig, ax, path, title=None):
  """Axes of a rate-against-threshold plot; saves and closes the figure."""
  ax.set_xlabel('threshold (copy when distance <= threshold)')
  ax.set_ylabel('rate')
  ax.set_xlim(0, 64)
  ax.set_ylim(0, 1.01)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  if title:
    ax.set_title(title, fontsize=10)
  _save(fig, path, dpi=110)


def evolution(path, images, epochs, distances, suptitle=None):
  """The paper's Figure 5: the fake at several epochs with its distance.

  ``epochs`` items that are strings are used as titles as they are.
  """
  image_row(path, images, [e if isinstance(e, str) else f'epoch {e}' for e in epochs],
            [d if isinstance(d, str) else f'HD {d}' for d in distances], suptitle)


def training_curves(path, history: dict, threshold: int):
  """The paper's Figure 6: losses, Hamming distance and Real weight per epoch."""
  epochs = np.arange(1, len(history['hamming_distance']) + 1)
  fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
  axes[0].plot(epochs, history['real_loss'], label='Real loss (pixel MSE to parent)')
  axes[0].plot(epochs, history['hash_loss'], label='Hash loss (smooth hinge)')
  axes[0].set_yscale('log')
  axes[0].legend(fontsize=8)
  axes[1].plot(epochs, history['hamming_distance'], color='C3')
  axes[1].axhline(threshold, color='grey', ls=':', label=f'threshold {threshold}')
  axes[1].set_ylabel('Hamming distance (exact, 8-bit fake)')
  axes[1].legend(fontsize=8)
  axes[2].plot(epochs, history['real_weight'], color='C2')
  axes[2].set_ylabel('Real weight')
  axes[2].set_ylim(-0.02, 1.05)
  for ax in axes:
    ax.set_xlabel('epoch')
    ax.grid(alpha=0.3)
  _save(fig, path, dpi=110)


def pair_grid(path, originals, parents, fakes, captions, title=None, per_row=10):
  """Columns of (original, parent, fake) triples; ``captions`` under each fake."""
  n = len(fakes)
  blocks = -(-n // per_row)
  fig, axes = plt.subplots(3 * blocks, per_row, figsize=(1.3 * per_row, 4.1 * blocks),
                           squeeze=False)
  for ax in axes.flat:
    ax.axis('off')
  for k in range(n):
    b, c = divmod(k, per_row)
    for r, (im, label) in enumerate(((originals[k], 'original'), (parents[k], 'parent'),
                                     (fakes[k], 'fake'))):
      ax = axes[3 * b + r, c]
      ax.axis('on')
      _show(ax, im, xlabel=captions[k] if r == 2 else None)
      if c == 0:
        ax.set_ylabel(label, fontsize=9)
  if title:
    fig.suptitle(title, fontsize=10)
  _save(fig, path, dpi=100)


def success_vs_threshold(path, thresholds, success_rate, clean_false_copy_rate, title=None):
  """The attack's success rate against the threshold, beside the ICD's clean false-copy rate."""
  fig, ax = plt.subplots(figsize=(7, 4))
  ax.plot(thresholds, success_rate, label='attack success (fake judged a copy)', color='C3')
  ax.plot(thresholds, clean_false_copy_rate, label='ICD false-copy rate, clean different digits',
          color='k', ls='--')
  _finish_rate_plot(fig, ax, path, title)


def transfer_matrix(path, success, row_labels, col_labels, parent_rate=None, title=None):
  """Heat map of attack success rates: judges down, attacks across.

  ``parent_rate`` (per attack), if given, is drawn as a last row: how often
  the classifier reads the parent's digit in the fakes.
  """
  rows = [np.asarray(success, float)]
  labels = list(row_labels)
  if parent_rate is not None:
    rows.append(np.asarray(parent_rate, float)[None, :])
    labels.append('classifier reads parent')
  m = np.concatenate(rows)
  fig, ax = plt.subplots(figsize=(1.0 + 0.95 * m.shape[1], 1.2 + 0.5 * m.shape[0]))
  ax.imshow(m, cmap='RdYlGn_r', vmin=0.0, vmax=1.0, aspect='auto')
  for i in range(m.shape[0]):
    for j in range(m.shape[1]):
      ax.text(j, i, f'{m[i, j]:.0%}', ha='center', va='center', fontsize=8,
              color='white' if abs(m[i, j] - 0.5) > 0.35 else 'black')
  if parent_rate is not None:
    ax.axhline(m.shape[0] - 1.5, color='k', lw=1.5)
  ax.set_xticks(range(m.shape[1]))
  ax.set_xticklabels(col_labels, rotation=35, ha='right', fontsize=8)
  ax.set_yticks(range(m.shape[0]))
  ax.set_yticklabels(labels, fontsize=8)
  ax.set_xlabel('attacked with')
  ax.set_ylabel('judged by')
  if title:
    ax.set_title(title, fontsize=10)
  _save(fig, path, dpi=110)


def image_table(path, rows, title=None):
  """Rows of 8-bit images, each row ``(label, images [K, H, W])``, labelled on the left."""
  k = max(len(images) for _, images in rows)
  fig, axes = plt.subplots(len(rows), k, figsize=(0.9 * k + 1.8, 0.95 * len(rows) + 0.4),
                           squeeze=False)
  for r, (label, images) in enumerate(rows):
    for c in range(k):
      ax = axes[r, c]
      if c < len(images):
        _show(ax, images[c])
      else:
        ax.axis('off')
    axes[r, 0].set_ylabel(label, rotation=0, ha='right', va='center', fontsize=8)
  if title:
    fig.suptitle(title, fontsize=10)
  _save(fig, path, dpi=100)


def keyless_frontier(path, frontier: dict):
  """What a key-less attacker buys by covering more directions, and what it pays.

  ``frontier``: ``{grid size: {'projections': [...], 'success': [...],
  'parent_digit_rate': [...]}}``; one line pair per keyed grid.
  """
  fig, ax = plt.subplots(figsize=(6.5, 4))
  for i, (size, f) in enumerate(sorted(frontier.items(), key=lambda kv: int(kv[0]))):
    ax.plot(f['projections'], f['success'], 'o-', color=f'C{i}',
            label=f'keyed{size}: fakes judged copies')
    ax.plot(f['projections'], f['parent_digit_rate'], 's--', color=f'C{i}',
            label=f'keyed{size}: fakes read as the parent')
  ax.set_xscale('log', base=2)
  ticks = sorted({p for f in frontier.values() for p in f['projections']})
  ax.set_xticks(ticks)
  ax.set_xticklabels([str(t) for t in ticks])
  ax.minorticks_off()
  ax.set_xlabel("projections the attacker matches (its own key)")
  ax.set_ylabel('rate')
  ax.set_ylim(-0.03, 1.03)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  ax.set_title('Attacking a keyed hash without its key', fontsize=10)
  _save(fig, path, dpi=110)


FRONTIER_AXES = {  # by goal: (the success column, its label, the y column, the y label)
    'collide': ('distance_0', 'HD 0', 'parent_digit_rate', "classifier reads the parent's digit"),
    'evade': ('evaded', 'evaded', 'psnr_db', 'median PSNR of the fake (dB)'),
}


def frontier(path, rows, title=None, goal: str = 'collide'):
  """Attacks per second (log) against the looks (a collision: the parent-digit rate;
  an evasion: the median PSNR), one point per attack: filled where the goal holds for
  >= 99% of pairs, hollow else; a polished attack shares its base's colour and is
  drawn as a square."""
  success, success_label, y, y_label = FRONTIER_AXES[goal]
  fig, ax = plt.subplots(figsize=(7.6, 4.6))
  colours = {}
  for r in rows:
    if r['attacks_per_second'] is None:
      continue
    base = r['attack'].split('+')[0]
    colour = colours.setdefault(base, f'C{len(colours)}')
    exact = r[success] >= 0.99
    ax.scatter(r['attacks_per_second'], r[y], s=60,
               marker='s' if '+polish' in r['attack'] else 'o',
               facecolors=colour if exact else 'none', edgecolors=colour, linewidths=1.5,
               label=f"{r['attack']}: {r['attacks_per_second']:,.1f}/s, "
               f"{success_label} {r[success]:.1%}")
  ax.set_xscale('log')
  ax.set_xlabel('attacks per second (log scale)')
  ax.set_ylabel(y_label)
  ax.grid(True, alpha=0.3)
  ax.legend(fontsize=7, loc='center left', bbox_to_anchor=(1.01, 0.5), frameon=False)
  ax.set_title(title or 'speed against looks', fontsize=9)
  fig.tight_layout()
  _save(fig, path, dpi=120)


def psnr_against_bound(path, series: dict, title=None):
  """Each pair's PSNR against the highest any fake of it can reach (its
  certified bound), one colour per run: ``series[label] = (bound, achieved)``."""
  fig, ax = plt.subplots(figsize=(5.5, 5))
  low, high = np.inf, -np.inf
  for label, (bound, achieved) in series.items():
    bound, achieved = np.asarray(bound, float), np.asarray(achieved, float)
    ax.scatter(bound, achieved, s=12, alpha=0.7,
               label=f'{label} ({bound.size}): median {np.median(achieved):.1f} '
               f'of {np.median(bound):.1f} dB')
    low, high = min(low, achieved.min(), bound.min()), max(high, bound.max())
  ax.plot([low, high], [low, high], 'k--', lw=1, label='the bound: no fake lies above')
  for db in (30, 35):
    ax.axvline(db, color='grey', lw=0.6, ls=':')
  ax.set_xlabel('highest PSNR any fake of the pair can have (dB, certified)')
  ax.set_ylabel('PSNR of the fake (dB, saved PNG)')
  ax.legend(fontsize=7, loc='upper left')
  if title:
    ax.set_title(title, fontsize=10)
  _save(fig, path, dpi=110)


def robustness_curves(path, budgets_db, curves: dict, title=None):
  """The fraction of images evaded within each PSNR budget (higher: cheaper to evade),
  one line per run: ``curves[label] = fractions [len(budgets_db)]``."""
  fig, ax = plt.subplots(figsize=(7, 4.4))
  for label, fractions in curves.items():
    ax.plot(budgets_db, np.asarray(fractions) * 100, lw=1.8, label=label)
  ax.set_xlabel('PSNR budget (dB): the fake must be at least this close to the original')
  ax.set_ylabel('images evaded within the budget (%)')
  ax.set_xlim(max(budgets_db), min(budgets_db))  # tighter budgets to the left
  ax.set_ylim(-2, 102)
  ax.grid(True, alpha=0.3)
  ax.legend(fontsize=8, loc='lower right')
  ax.set_title(title or 'how cheaply each hash is evaded', fontsize=10)
  fig.tight_layout()
  _save(fig, path, dpi=120)


def frontier_curves(path, budgets_db, curves: list, n_bits: int, title=None):
  """How near the original's hash each pair's fake got within each PSNR budget: one thin
  line per pair (``curves[i] = {'run_psnr_db', 'distances'}``: from its collision at the
  run's PSNR, distance 0, through ``budgets_db``), the median over pairs drawn thick."""
  fig, ax = plt.subplots(figsize=(7, 4.4))
  for c in curves:  # the budgets and the run's own collision, tighter to the left
    x, y = zip(*sorted(zip([*budgets_db, c['run_psnr_db']], [*c['distances'], 0]), reverse=True))
    ax.plot(x, y, color='0.6', lw=0.7, alpha=0.6)
  median = np.median(np.array([c['distances'] for c in curves], float), axis=0)
  ax.plot(budgets_db, median, color='C3', lw=2.4, marker='o', label='median over pairs')
  ax.set_xlabel('PSNR budget (dB): the fake must be at least this close to the parent')
  ax.set_ylabel(f"bits from the original's hash (of {n_bits})")
  ax.set_xlim(max(budgets_db) + 1, min(min(budgets_db), *(c['run_psnr_db'] for c in curves)) - 1)
  ax.set_ylim(-1, None)
  ax.grid(True, alpha=0.3)
  ax.legend(fontsize=8, loc='upper right')
  ax.set_title(title or 'how near a given hash a change within a budget gets', fontsize=10)
  fig.tight_layout()
  _save(fig, path, dpi=120)


def benign_heatmap(path, rates: dict, edits: list, title=None):
  """Match rate of honest copies, one row per hash (``rates[hash][edit]`` in [0, 1]) and
  one column per edit, each cell printed as a percentage."""
  names = list(rates)
  grid = np.array([[rates[h].get(e, np.nan) for e in edits] for h in names], float)
  fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(edits) + 2), 0.5 * len(names) + 2))
  ax.imshow(grid * 100, cmap='RdYlGn', vmin=0, vmax=100, aspect='auto')
  for (i, j), v in np.ndenumerate(grid):
    ax.text(j, i, '-' if np.isnan(v) else f'{100 * v:.0f}', ha='center', va='center',
            fontsize=7)
  ax.set_xticks(range(len(edits)), edits, rotation=60, ha='right', fontsize=8)
  ax.set_yticks(range(len(names)), names, fontsize=9)
  ax.set_title(title or 'honest copies that still match (%), at each hash\'s threshold',
               fontsize=10)
  fig.tight_layout()
  _save(fig, path, dpi=120)


def cost_by_start_distance(path, rows, n_bits: int, title=None):
  """Each collision's PSNR against how far its parent's hash started from the target's
  (``rows[i] = {'parent', 'start_distance', 'psnr_db'}``; None: not collided, left out), one
  colour per parent, each parent's nearest target (of all its pairs) ringed."""
  fig, ax = plt.subplots(figsize=(8.4, 4.4))
  parents = list(dict.fromkeys(r['parent'] for r in rows))
  for i, p in enumerate(parents):
    every = [r for r in rows if r['parent'] == p]
    mine = [r for r in every if r['psnr_db'] is not None]
    if not mine:
      continue
    colour = f'C{i % 10}'
    ax.scatter([r['start_distance'] for r in mine], [r['psnr_db'] for r in mine], s=18,
               color=colour, label=p)
    near = min(r['start_distance'] for r in every)  # as the table: a missed nearest, no ring
    ringed = [r for r in mine if r['start_distance'] == near]
    ax.scatter([r['start_distance'] for r in ringed], [r['psnr_db'] for r in ringed], s=90,
               facecolors='none', edgecolors=colour, linewidths=1.4)
  ax.set_xlabel(f"bits between the parent's hash and the target's (of {n_bits}); "
                'ringed: each parent\'s nearest', fontsize=8)
  ax.set_ylabel('PSNR of the collision to the parent (dB)')
  ax.grid(True, alpha=0.3)
  ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.01, 1), title='parent',
            title_fontsize=7)
  ax.set_title(title or 'what a collision costs, by where the hash started', fontsize=10)
  fig.tight_layout()
  _save(fig, path, dpi=120)
