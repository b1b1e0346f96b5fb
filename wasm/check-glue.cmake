# Fails the build when Emscripten's glue could generate code at run time, which Workers
# refuse: usage  cmake -DGLUE=<file.mjs> -P wasm/check-glue.cmake
file(READ "${GLUE}" glue)
foreach(forbidden "eval(" "new Function" "WebAssembly.compile")
  string(FIND "${glue}" "${forbidden}" found)
  if(NOT found EQUAL -1)
    message(FATAL_ERROR "${GLUE} contains `${forbidden}`, which Cloudflare Workers refuse")
  endif()
endforeach()
