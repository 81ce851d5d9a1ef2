# VkFFT (header-only, Vulkan backend) and glslang, which VkFFT uses to compile its kernels at run
# time. Defines the INTERFACE target atelier_vkfft: include dir, VKFFT_BACKEND=0 and the glslang
# libraries. Link it PRIVATE to atelier_compute; only compute/ops/fft.cpp includes <vkFFT.h> (a slow
# compile), so no other translation unit pays for it.
#
#   Debian 12:  apt install -t bookworm-backports libvkfft-dev   (VkFFT >= 1.3)
#               apt install glslang-dev spirv-tools
#   Elsewhere:  -DATELIER_VKFFT_INCLUDE_DIR=<dir holding vkFFT.h and vkFFT/>, -Dglslang_DIR=<cmake dir>

include_guard(GLOBAL)

set(ATELIER_VKFFT_MIN_VERSION 10300) # VkFFTGetVersion() format: 1.3.0

find_path(ATELIER_VKFFT_INCLUDE_DIR vkFFT.h PATH_SUFFIXES vkFFT
  DOC "Directory holding vkFFT.h and its vkFFT/ subfolder (Debian: libvkfft-dev)")
if(NOT ATELIER_VKFFT_INCLUDE_DIR OR NOT EXISTS "${ATELIER_VKFFT_INCLUDE_DIR}/vkFFT/vkFFT_Structs/vkFFT_Structs.h")
  message(FATAL_ERROR
    "VkFFT not found: install libvkfft-dev from bookworm-backports "
    "(apt install -t bookworm-backports libvkfft-dev), or set ATELIER_VKFFT_INCLUDE_DIR to the "
    "directory holding vkFFT.h and vkFFT/.")
endif()

file(STRINGS "${ATELIER_VKFFT_INCLUDE_DIR}/vkFFT.h" vkfftVersionLine REGEX "return [0-9]+; *//X.XX.XX")
string(REGEX MATCH "[0-9]+" ATELIER_VKFFT_VERSION "${vkfftVersionLine}")
if(NOT ATELIER_VKFFT_VERSION OR ATELIER_VKFFT_VERSION LESS ATELIER_VKFFT_MIN_VERSION)
  message(FATAL_ERROR
    "VkFFT in ${ATELIER_VKFFT_INCLUDE_DIR} is version '${ATELIER_VKFFT_VERSION}'; Atelier needs 1.3 or "
    "newer (libvkfft-dev from bookworm-backports).")
endif()

# glslang's C interface and SPIR-V back end, with SPIRV-Tools. pkg-config first: Debian 12's
# glslang-dev CMake config imports /usr/bin/glslangValidator, which only glslang-tools ships, and
# aborts the whole configuration when it is missing. The CMake config is the fallback for systems
# without glslang's .pc files.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(ATELIER_GLSLANG QUIET IMPORTED_TARGET GLOBAL spirv glslang SPIRV-Tools)
endif()
if(TARGET PkgConfig::ATELIER_GLSLANG)
  set(atelierGlslangLibs PkgConfig::ATELIER_GLSLANG)
  set(atelierGlslangFrom "pkg-config")
else()
  message(STATUS "glslang: no pkg-config module 'spirv'; trying glslang's CMake config (on Debian 12 "
                 "that also needs glslang-tools)")
  find_package(glslang CONFIG QUIET)
  if(NOT TARGET glslang::glslang OR NOT TARGET glslang::SPIRV)
    message(FATAL_ERROR
      "glslang not found: VkFFT compiles its kernels with it at run time. Install glslang-dev and "
      "spirv-tools (apt install glslang-dev spirv-tools), or set glslang_DIR.")
  endif()
  # Visible to the tests' directories too, which link atelier_compute and so these.
  foreach(lib glslang SPIRV OSDependent MachineIndependent GenericCodeGen OGLCompiler)
    if(TARGET glslang::${lib})
      set_property(TARGET glslang::${lib} PROPERTY IMPORTED_GLOBAL TRUE)
    endif()
  endforeach()
  set(atelierGlslangLibs glslang::glslang glslang::SPIRV)
  set(atelierGlslangFrom "${glslang_DIR}")
endif()

add_library(atelier_vkfft INTERFACE)
target_include_directories(atelier_vkfft SYSTEM INTERFACE ${ATELIER_VKFFT_INCLUDE_DIR})
target_compile_definitions(atelier_vkfft INTERFACE VKFFT_BACKEND=0)
target_link_libraries(atelier_vkfft INTERFACE ${atelierGlslangLibs} Vulkan::Vulkan)

math(EXPR vkfftMajor "${ATELIER_VKFFT_VERSION} / 10000")
math(EXPR vkfftMinor "${ATELIER_VKFFT_VERSION} / 100 % 100")
math(EXPR vkfftPatch "${ATELIER_VKFFT_VERSION} % 100")
message(STATUS "VkFFT ${vkfftMajor}.${vkfftMinor}.${vkfftPatch} in ${ATELIER_VKFFT_INCLUDE_DIR}, glslang from ${atelierGlslangFrom}")
