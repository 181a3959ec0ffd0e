# Writes version.h with the project version and the git commit of SRC_DIR;
# only touches the file when the text changes, so builds stay incremental.
execute_process(COMMAND git -C "${SRC_DIR}" rev-parse --short=12 HEAD
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE rc ERROR_QUIET)
# A tarball made by `git archive` (image/make-tarball) carries its commit in
# source-commit (export-subst); in a checkout the file holds the placeholder.
set(archived "")
if(EXISTS "${SRC_DIR}/orchestrator/source-commit")
  file(READ "${SRC_DIR}/orchestrator/source-commit" archived)
  string(STRIP "${archived}" archived)
endif()
if(archived MATCHES "^[0-9a-f]+$")
  string(SUBSTRING "${archived}" 0 12 commit)
elseif(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC_DIR}" status --porcelain --untracked-files=no
    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    set(commit "${commit}-dirty")
  endif()
endif()
set(text "#define ZO_VERSION \"${VERSION}\"\n#define ZO_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
