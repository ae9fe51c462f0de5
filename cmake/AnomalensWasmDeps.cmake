# Under Emscripten the core's header-only Debian dependencies cannot come in
# through their /usr/include paths: adding /usr/include would put glibc's
# headers ahead of Emscripten's libc. Expose just nlohmann-json's folder
# through a staging include directory, as the target the core links.
set(ANOMALENS_WASM_HOST_INCLUDE "${CMAKE_BINARY_DIR}/host-include")
file(MAKE_DIRECTORY "${ANOMALENS_WASM_HOST_INCLUDE}")
if(NOT EXISTS "/usr/include/nlohmann/json.hpp")
  message(FATAL_ERROR "nlohmann-json3-dev is missing (tools/setup installs it)")
endif()
file(CREATE_LINK "/usr/include/nlohmann" "${ANOMALENS_WASM_HOST_INCLUDE}/nlohmann" SYMBOLIC)
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${ANOMALENS_WASM_HOST_INCLUDE}")
