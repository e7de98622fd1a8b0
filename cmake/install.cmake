# Install rules, the CMake package (find_package(Hearth 0.2 CONFIG)) and the Debian package
# (cpack -G DEB -> hearth-dev_<version>_<arch>.deb).
#
#   include/hearth/{rpc,framework,session,cluster,app}/...   headers (#include "framework/node.hpp")
#   lib/libhearth_*.a                                          static libraries
#   lib/cmake/Hearth/                                          HearthConfig.cmake, targets, version
#   bin/hearth-cli                                             when tools/ defines the target
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HEARTH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Hearth)

foreach(module rpc framework session cluster app)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hearth
          FILES_MATCHING PATTERN "*.hpp")
endforeach()

install(TARGETS hearth_boost hearth_rpc hearth_framework hearth_session hearth_cluster hearth_app hearth_all
        EXPORT HearthTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT HearthTargets NAMESPACE Hearth:: DESTINATION ${HEARTH_CMAKE_DIR})

# Everything the install rules install: `cmake --build B --target hearth_package` before
# `cmake --install` or cpack builds just that (scripts/package.sh).
add_custom_target(hearth_package)
add_dependencies(hearth_package hearth_all hearth_app)

# The hook for hearth-cli (tools/, added before this file): installed with the package when the
# target exists.
if(TARGET hearth-cli)
  install(TARGETS hearth-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  add_dependencies(hearth_package hearth-cli)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/HearthConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/HearthConfig.cmake INSTALL_DESTINATION ${HEARTH_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/HearthConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/HearthConfig.cmake ${PROJECT_BINARY_DIR}/HearthConfigVersion.cmake
        DESTINATION ${HEARTH_CMAKE_DIR})

# cpack -G DEB: hearth-dev_0.2.0_amd64.deb, installing the same files under /usr and depending
# on the Debian packages of Hearth's dependencies (their -dev packages: the headers and CMake
# files a consumer's build needs).
set(CPACK_PACKAGE_NAME hearth-dev)
set(CPACK_PACKAGE_VENDOR "Hearth")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 coroutine framework for game-server backends (headers, static libraries, CMake package)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Hearth maintainers <hearth@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "g++ (>= 4:12), cmake (>= 3.22), libboost1.81-dev, libboost-system1.81-dev, nlohmann-json3-dev, libspdlog-dev, zlib1g-dev, libcli11-dev, libssl-dev")
include(CPack)
