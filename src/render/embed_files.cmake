# Writes OUT: a C++ source holding the files NGINX needs beside the rendered
# nginx.conf (deploy/nginx/epp-*.conf, njs/epp.js), so that `render` can put
# them into ConfigMaps of a workload that has none.
#   cmake -DSRC=<source dir> -DOUT=<file.cc> -P embed_files.cmake
set(files deploy/nginx/epp-http.conf deploy/nginx/epp-server.conf deploy/nginx/epp-proxy.conf
    njs/epp.js)
set(body "// Generated from deploy/nginx and njs by src/render/embed_files.cmake.\n")
string(APPEND body "#include <iterator>\n\n#include \"render/nginx_files.h\"\n\nnamespace eppb::render {\n\n")
string(APPEND body "const EmbeddedFile kEmbeddedNginxFiles[] = {\n")
foreach(f ${files})
  file(READ ${SRC}/${f} text)
  get_filename_component(name ${f} NAME)
  string(FIND "${text}" ")eppb\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw string delimiter")
  endif()
  string(APPEND body "    {\"${name}\", R\"eppb(${text})eppb\"},\n")
endforeach()
string(APPEND body "};\nconst size_t kEmbeddedNginxFileCount = std::size(kEmbeddedNginxFiles);\n\n")
string(APPEND body "}  // namespace eppb::render\n")
file(WRITE ${OUT} "${body}")
