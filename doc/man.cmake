# cmake -DDOCGEN=zsim-docgen -DSRC=doc -DOUT=DIR -DPAGES=a.8,b.5 -P man.cmake
# For each PAGE: DOCGEN man SRC/PAGE.scd.in | scdoc | DOCGEN tidy > OUT/PAGE.
# The date in the pages is fixed (SOURCE_DATE_EPOCH) so that remaking them
# changes nothing unless their text changed: move it with the version.
set(ZSIM_MAN_DATE_EPOCH 1763856000) # 2025-11-23, zsim-orch 0.1.0
find_program(SCDOC scdoc)
if(NOT SCDOC)
  message(FATAL_ERROR "scdoc not found: install it (Debian: scdoc) to remake the man pages")
endif()
set(ENV{SOURCE_DATE_EPOCH} ${ZSIM_MAN_DATE_EPOCH})
string(REPLACE "," ";" PAGES "${PAGES}")
file(MAKE_DIRECTORY ${OUT})
foreach(page ${PAGES})
  execute_process(COMMAND ${DOCGEN} man ${SRC}/${page}.scd.in
                  COMMAND ${SCDOC}
                  COMMAND ${DOCGEN} tidy
                  OUTPUT_FILE ${OUT}/${page}.tmp
                  RESULTS_VARIABLE rcs)
  foreach(rc ${rcs})
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "making ${page} failed (${rcs})")
    endif()
  endforeach()
  file(RENAME ${OUT}/${page}.tmp ${OUT}/${page})
endforeach()
