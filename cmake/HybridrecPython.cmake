# Decides HYBRIDREC_BUILD_PYTHON from HYBRIDREC_PYTHON (AUTO | ON | OFF) and finds pybind11 and
# the Python interpreter for python/CMakeLists.txt.
#
# The interpreter is HYBRIDREC_PYTHON_EXECUTABLE: by default Debian's /usr/bin/python3, whose
# site-packages hold pybind11, NumPy, SciPy, pandas and pytest (a pyenv or conda python3 first on
# PATH usually does not). The module is not built with the sanitizers or for the fuzz targets: a
# Python interpreter cannot load an ASan- or TSan-instrumented module without a preloaded runtime,
# so the sanitizer runs would build it for nothing.
set(HYBRIDREC_BUILD_PYTHON OFF)
string(TOUPPER "${HYBRIDREC_PYTHON}" _hr_py)
if(_hr_py STREQUAL "OFF" OR _hr_py STREQUAL "NO" OR _hr_py STREQUAL "FALSE" OR _hr_py STREQUAL "0")
  return()
endif()
if(HYBRIDREC_SANITIZE OR HYBRIDREC_TSAN OR HYBRIDREC_FUZZ)
  if(_hr_py STREQUAL "ON")
    message(WARNING "HYBRIDREC_PYTHON=ON is ignored with HYBRIDREC_SANITIZE, HYBRIDREC_TSAN or HYBRIDREC_FUZZ")
  endif()
  return()
endif()

if(EXISTS /usr/bin/python3)
  set(_hr_default_python /usr/bin/python3)
else()
  find_program(_hr_default_python python3)
endif()
set(HYBRIDREC_PYTHON_EXECUTABLE "${_hr_default_python}" CACHE FILEPATH
    "Python interpreter the module is built for (needs pybind11 and NumPy)")
set(Python_EXECUTABLE "${HYBRIDREC_PYTHON_EXECUTABLE}")
set(PYBIND11_FINDPYTHON ON)
find_package(Python COMPONENTS Interpreter Development.Module QUIET)
if(Python_FOUND)
  # Debian's pybind11-dev installs its CMake package under /usr/lib/cmake; pip's under the
  # interpreter's site-packages (python3 -m pybind11 --cmakedir).
  execute_process(COMMAND "${Python_EXECUTABLE}" -m pybind11 --cmakedir OUTPUT_VARIABLE _hr_pybind_dir
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  find_package(pybind11 2.6 CONFIG QUIET HINTS "${_hr_pybind_dir}")
  execute_process(COMMAND "${Python_EXECUTABLE}" -c "import numpy" RESULT_VARIABLE _hr_numpy_rc
                  OUTPUT_QUIET ERROR_QUIET)
endif()
if(Python_FOUND AND pybind11_FOUND AND _hr_numpy_rc EQUAL 0)
  set(HYBRIDREC_BUILD_PYTHON ON)
  message(STATUS "hybridrec Python module: ON (${Python_EXECUTABLE}, pybind11 ${pybind11_VERSION})")
elseif(_hr_py STREQUAL "ON")
  message(FATAL_ERROR "HYBRIDREC_PYTHON=ON needs pybind11 and a Python 3 with NumPy (${HYBRIDREC_PYTHON_EXECUTABLE}); "
                      "install pybind11-dev python3-pybind11 python3-numpy (scripts/install-deps.sh) or set "
                      "HYBRIDREC_PYTHON_EXECUTABLE")
else()
  message(STATUS "hybridrec Python module: OFF (pybind11, Python 3 development files or NumPy not found)")
endif()
