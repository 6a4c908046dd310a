"""Imported once, in the render fork server only: load WeasyPrint and render a tiny page.

WeasyPrint's first render in a process loads fonts and its own style sheets (a few hundred
milliseconds). Doing it here, before any render process is forked, means every render
process starts with that work already done. The web process's main script is loaded here
too, as multiprocessing means to, so render processes do not each run it again.
"""

import os
from multiprocessing import spawn

from app.pdf.render import html_to_pdf
from app.pdf.worker import MAIN_PATH_VARIABLE

if os.environ.get(MAIN_PATH_VARIABLE):
    spawn.import_main_path(os.environ[MAIN_PATH_VARIABLE])

html_to_pdf('<html lang="en"><head><title>warm up</title><link rel="stylesheet" href="print.css">'
            "</head><body><h1>Warm up</h1><p>Text <b>bold</b> <i>italic</i></p></body></html>")
