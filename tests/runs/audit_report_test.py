"""icdjax.runs.audit_report: the page shows every hash's numbers and the figures it has."""

from icdjax.runs import audit_report


def _row(evasion):
  row = {'threshold': 10, 'benign': {'jpeg:75': 0.75, 'flip': 0.0}, 'recall': 0.375,
         'false_match_rate': 0.02, 'threshold_at_precision': 4, 'recall_at_precision': 0.25}
  if evasion:
    row['evasion'] = {'curve': [1.0, 0.5, 0.0], 'budgets_db': [20, 30, 40], 'reached': 1.0,
                      'after_jpeg:75': 0.5, 'after_scale:0.5': None}
    row['evasion_median_psnr_db'] = 31.25
  return row


def test_the_page_holds_the_tables_and_links_each_figure(tmp_path):
  audit = {'images': 4, 'groups': 3, 'edits': ['jpeg:75', 'flip'],
           'hashes': {'ahash': _row(True), 'pdq': _row(False)}}
  page = audit_report.write(audit, tmp_path).read_text()
  for text in ('4 images from 3 sources', '<td>ahash</td>', '<td>75.0%</td>', '<td>2.0%</td>',
               '<td>31.2</td>', 'src="benign.png"', 'src="evasion.png"'):
    assert text in page, text
  assert (tmp_path / 'benign.png').stat().st_size > 5000
  assert (tmp_path / 'evasion.png').stat().st_size > 5000
  md = (tmp_path / 'audit.md').read_text()
  assert '| ahash | 10 | 37.5% | 2.0% | 4 | 25.0% | 100.0% | 31.2 | 50.0% | - |' in md
  assert '| jpeg:75 | 75.0% | 75.0% |' in md


def test_without_evasions_there_is_no_evasion_figure(tmp_path):
  audit = {'images': 2, 'groups': 2, 'edits': ['jpeg:75', 'flip'], 'hashes': {'pdq': _row(False)}}
  page = audit_report.write(audit, tmp_path).read_text()
  assert 'evasion.png' not in page and not (tmp_path / 'evasion.png').exists()
