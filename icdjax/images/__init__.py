"""Images of any size and mode: photos, files, and what they go through.

* ``image_attack``: one attack on a colour image of any size, judged on the saved file.
* ``image_batch``: folders and CSVs of image pairs as resumable batches.
* ``photos``: the bundled real photos (scikit-image's, with their licences).
* ``transforms``: what a fake must survive (real Pillow transformations and their
  differentiable stand-ins, ``--survive=jpeg:90,scale:0.5``).
"""
