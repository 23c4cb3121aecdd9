"""Builds the package sabot_cdc: its Python files plus the native module, made by the project's
CMake build (the module links the C++ library, which only CMake knows how to build).

Which build directory: $SABOT_BUILD_DIR, else the repository's build/ when configured, else
build-python/ (configured here, Release, without tests and benchmarks).
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def cmake_build_dir():
    chosen = os.environ.get("SABOT_BUILD_DIR")
    if chosen:
        return os.path.abspath(chosen)
    default = os.path.join(REPO, "build")
    if os.path.exists(os.path.join(default, "CMakeCache.txt")):
        return default
    return os.path.join(REPO, "build-python")


class CMakeBuild(build_ext):
    """build_ext that lets CMake build the module, then copies it where setuptools expects it."""

    def build_extension(self, ext):
        build_dir = cmake_build_dir()
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            subprocess.check_call([
                "cmake", "-S", REPO, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                "-DSABOT_BUILD_TESTS=OFF", "-DSABOT_BUILD_BENCH=OFF", "-DSABOT_BUILD_PYTHON=ON",
                f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "-j2", "--target",
                               "sabot_python_native"])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(build_dir, "python", "sabot_cdc", "_native" + suffix)
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    packages=["sabot_cdc"],
    ext_modules=[Extension("sabot_cdc._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
