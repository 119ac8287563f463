# Turns src/store/migrations/NNNN_name.sql into one C++ source defining
# tenet::store::embedded_migrations() (declared in store/migrate.h).
# Usage: cmake -DMIGRATIONS_DIR=<dir> -DOUTPUT=<file.cc> -P embed_migrations.cmake
# Fails the build if a file name does not match NNNN_name.sql, if versions have gaps, or if a file
# contains the raw-string delimiter.

cmake_minimum_required(VERSION 3.25)

file(GLOB files RELATIVE ${MIGRATIONS_DIR} ${MIGRATIONS_DIR}/*.sql)
list(SORT files)

set(delimiter "tenet_sql")
set(entries "")
set(expected 1)
foreach(f IN LISTS files)
  if(NOT f MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file name must look like NNNN_name.sql: ${f}")
  endif()
  set(name ${CMAKE_MATCH_2})
  # Strip leading zeros ourselves: math(EXPR) might read "0010" as octal.
  string(REGEX REPLACE "^0+" "" version ${CMAKE_MATCH_1})
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration ${f}: expected version ${expected} (versions start at 1, no gaps)")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ ${MIGRATIONS_DIR}/${f} sql)
  string(FIND "${sql}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "migration ${f} contains the delimiter )${delimiter}\"")
  endif()
  string(APPEND entries "    {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()

if(entries STREQUAL "")
  message(FATAL_ERROR "no migrations found in ${MIGRATIONS_DIR}")
endif()

set(content "// Generated from src/store/migrations/*.sql by src/store/embed_migrations.cmake. Do not edit.
#include \"store/migrate.h\"

namespace tenet::store {
namespace {

constexpr Migration kMigrations[] = {
${entries}};

}  // namespace

std::span<const Migration> embedded_migrations() { return kMigrations; }

}  // namespace tenet::store
")

# Rewrite only on change, so that an unchanged schema does not recompile anything.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE ${OUTPUT} "${content}")
