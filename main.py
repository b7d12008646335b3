"""Talking portrait from the command line: ``python main.py --audio input.wav``.

The same as ``avatar generate`` (run ``python main.py --help`` for every option): the built-in
astronaut avatar, or ``--image photo.jpg``, speaks the audio into ``output.mp4`` unless ``-o``.
"""

import sys

from avatar.cli import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
