"""The project's C extensions, built by cffi's setuptools hook (metadata: pyproject.toml).

Every build (``pip install .``, ``pip wheel .``, ``pip install -e .``) compiles them; see
softphone/sip/audio/native_build.py for how to add one.
"""

from setuptools import setup

setup(cffi_modules=["softphone/sip/audio/native_build.py:ffibuilder",
                     "softphone/sip/audio/opus_build.py:ffibuilder"])
