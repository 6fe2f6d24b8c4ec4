# NP_STATIC=ON: link the provisioner's libraries from their static archives.
# Included by the root CMakeLists.txt after the find_package() calls: it re-points the
# imported targets at the .a files of the same packages (host or sysroot alike).
#
# Debian ships cpp-httplib only as a shared library (libcpp-httplib.so, built with OpenSSL,
# zlib and brotli; the -dev package's httplib.h is the declarations-only "split" header).
# So: with a libcpp-httplib.a on the search path, the binary is fully static (-static, OpenSSL
# static too). Without one, libnfs and yaml-cpp are linked statically and cpp-httplib,
# OpenSSL, libstdc++ and glibc stay shared: one copy of OpenSSL and of libstdc++ for the
# program and cpp-httplib, which exchange SSL contexts and std::strings. The image then
# carries those shared libraries (Dockerfile.arm).

function(np_static_archive out name)
  find_library(${out} NAMES lib${name}.a NO_CACHE)
  if(NOT ${out})
    message(FATAL_ERROR "NP_STATIC: lib${name}.a not found (is the -dev package installed?)")
  endif()
  set(${out} ${${out}} PARENT_SCOPE)
endfunction()

np_static_archive(np_libnfs_a nfs)
set_property(TARGET PkgConfig::LIBNFS PROPERTY INTERFACE_LINK_LIBRARIES ${np_libnfs_a})

np_static_archive(np_yaml_cpp_a yaml-cpp)
get_target_property(np_yaml_configs yaml-cpp IMPORTED_CONFIGURATIONS)
foreach(config IN LISTS np_yaml_configs)
  set_property(TARGET yaml-cpp PROPERTY IMPORTED_LOCATION_${config} ${np_yaml_cpp_a})
endforeach()
set_property(TARGET yaml-cpp PROPERTY IMPORTED_LOCATION ${np_yaml_cpp_a})

find_library(np_httplib_a NAMES libcpp-httplib.a NO_CACHE)
if(np_httplib_a)
  np_static_archive(np_ssl_a ssl)
  np_static_archive(np_crypto_a crypto)
  set_property(TARGET PkgConfig::HTTPLIB PROPERTY INTERFACE_LINK_LIBRARIES ${np_httplib_a})
  set_property(TARGET OpenSSL::SSL PROPERTY IMPORTED_LOCATION ${np_ssl_a})
  set_property(TARGET OpenSSL::Crypto PROPERTY IMPORTED_LOCATION ${np_crypto_a})
  add_link_options(-static)
  message(STATUS "NP_STATIC: fully static (libcpp-httplib.a found)")
else()
  message(STATUS "NP_STATIC: libnfs and yaml-cpp static; no libcpp-httplib.a, so cpp-httplib, "
                 "OpenSSL, libstdc++ and glibc stay shared")
endif()
