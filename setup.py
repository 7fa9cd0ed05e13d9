"""Builds the hot path's mypyc extensions when asked (``FUSIONHUB_NATIVE=1``); see hub/native.py.

Everything else is in pyproject.toml. Without the variable (pip's own builds, editable
installs) the package is plain Python. scripts/build-native sets it and builds in place,
without build isolation, so mypyc sees the installed libraries' types as `mypy` does.
"""

import os
import sys

from setuptools import setup

ext_modules = []
if os.environ.get("FUSIONHUB_NATIVE") == "1":
    from mypyc.build import mypycify

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from hub.native import NATIVE_GROUP, NATIVE_MODULES, source_of

    ext_modules = mypycify(
        [str(source_of(module)) for module in NATIVE_MODULES],
        opt_level="3",
        # The shared library inside the hub package, found wherever the package is.
        group_name=NATIVE_GROUP,
    )

setup(ext_modules=ext_modules)
