"""Builds and installs the hybridrec Python package.

The compiled module (hybridrec._hybridrec) is the CMake target `_hybridrec` of the repository
(python/CMakeLists.txt), built in HYBRIDREC_BUILD_DIR (default: <repo>/build, configured here
when it does not exist). Offline and with Debian's packages only:

    /usr/bin/python3 -m pip install --no-build-isolation ./python
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("HYBRIDREC_BUILD_DIR", ROOT / "build")).resolve()
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.check_call(["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                                   "-DHYBRIDREC_PYTHON=ON", f"-DHYBRIDREC_PYTHON_EXECUTABLE={sys.executable}"])
        jobs = os.environ.get("HYBRIDREC_JOBS", str(os.cpu_count() or 2))
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_hybridrec", "-j", jobs])
        built = sorted((build_dir / "python" / "hybridrec").glob("_hybridrec*.so"))
        if not built:
            raise RuntimeError(f"{build_dir}: the _hybridrec module was not built; is HYBRIDREC_PYTHON on there "
                               "(pybind11-dev, python3-dev and python3-numpy installed)?")
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[0], dest)


setup(
    name="hybridrec",
    version="0.1.0",
    description="Hybrid top-K recommender: text-encoder content layer + implicit ALS, fused ranker",
    packages=["hybridrec"],
    package_dir={"hybridrec": "hybridrec"},
    package_data={"hybridrec": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("hybridrec._hybridrec", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy", "scipy", "pandas"],
    zip_safe=False,
)
