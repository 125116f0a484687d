# hybridrec_layer(NAME <layer> [DEPS <targets...>])
# Builds every *.cc in the calling folder except *_test.cc into the static library hr_<layer>,
# and every *_test.cc into the test binary <layer>_tests, registered with CTest.
# TEST_PROPERTIES are CTest properties for every test of the binary (e.g. FIXTURES_REQUIRED
# for tests that need a server the run starts once).
# Globbing (with CONFIGURE_DEPENDS) keeps the per-folder CMake files free of file lists.
function(hybridrec_layer)
  cmake_parse_arguments(L "" "NAME" "DEPS;TEST_DEPS;TEST_PROPERTIES" ${ARGN})
  file(GLOB _all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB _tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  set(_srcs ${_all})
  if(_tests)
    list(REMOVE_ITEM _srcs ${_tests})
  endif()
  if(_srcs)
    add_library(hr_${L_NAME} STATIC ${_srcs})
    if(HYBRIDREC_BUILD_PYTHON)
      set_target_properties(hr_${L_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    endif()
    target_include_directories(hr_${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(hr_${L_NAME} PUBLIC ${L_DEPS})
  else()
    add_library(hr_${L_NAME} INTERFACE)
    target_include_directories(hr_${L_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(hr_${L_NAME} INTERFACE ${L_DEPS})
  endif()
  if(HYBRIDREC_BUILD_TESTS AND _tests)
    add_executable(${L_NAME}_tests ${_tests})
    target_link_libraries(${L_NAME}_tests PRIVATE hr_${L_NAME} ${L_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
    target_compile_definitions(${L_NAME}_tests PRIVATE
      HYBRIDREC_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      HYBRIDREC_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
      HYBRIDREC_BINARY_DIR="${PROJECT_BINARY_DIR}")
    gtest_discover_tests(${L_NAME}_tests DISCOVERY_TIMEOUT 60
      PROPERTIES ENVIRONMENT "HYBRIDREC_SOURCE_DIR=${PROJECT_SOURCE_DIR}" ${L_TEST_PROPERTIES})
  endif()
endfunction()
