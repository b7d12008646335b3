"""The package list for setuptools (everything else is in pyproject.toml).

Discovery finds every package under ``avatar/``, data folders such as ``server/web`` and
``data/wordlists`` included (as namespace packages, so their files ship as package data);
``avatar.configs`` is added by name because pyproject.toml maps it from the repository's
``configs/`` folder, which ``[tool.setuptools.packages.find]`` cannot combine with discovery.
"""

from setuptools import find_namespace_packages, setup

found = find_namespace_packages(include=["avatar", "avatar.*"], exclude=["*.__pycache__"])
setup(packages=[*found, "avatar.configs"])
