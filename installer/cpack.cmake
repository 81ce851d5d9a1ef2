# Installing Atelier like any desktop application, and packaging it with CPack: a Debian package
# (dependencies found by dpkg-shlibdeps) and a portable tar.gz. Included from the top CMakeLists.
# Everything the executable reads at run time (icons, shaders, CLIP merges) is compiled into it, so
# the install is the binary plus what the desktop needs to show it in the application menu.

include(GNUInstallDirs)

set(ATELIER_APP_ID io.github.atelier.Atelier)
set(installer_dir ${PROJECT_SOURCE_DIR}/installer)
set(icon_svg ${PROJECT_SOURCE_DIR}/resources/icons/atelier.svg)

# Every library it needs comes from the system, so the installed binary carries no RUNPATH
# (qt_standard_project_setup's $ORIGIN/../lib would only widen the search; lintian flags it).
set_target_properties(atelier PROPERTIES INSTALL_RPATH "")
install(TARGETS atelier RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${installer_dir}/${ATELIER_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
string(TIMESTAMP ATELIER_RELEASE_DATE "%Y-%m-%d" UTC)
configure_file(${installer_dir}/${ATELIER_APP_ID}.metainfo.xml
               ${CMAKE_BINARY_DIR}/installer/${ATELIER_APP_ID}.metainfo.xml @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/installer/${ATELIER_APP_ID}.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
# The default-models script, so the first-run screen can name a command that exists.
install(PROGRAMS ${installer_dir}/models.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/atelier)
# The default image model (resources/shapes_model), which models.sh copies into the models folder.
install(FILES ${PROJECT_SOURCE_DIR}/resources/shapes_model/atelier-shapes-sd1.safetensors
              ${PROJECT_SOURCE_DIR}/resources/shapes_model/atelier-shapes-heart-lora.safetensors
        DESTINATION ${CMAKE_INSTALL_DATADIR}/atelier)

# The application icon: the SVG as is, and PNGs rendered from it at build time by a small Qt tool.
install(FILES ${icon_svg} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
        RENAME ${ATELIER_APP_ID}.svg)
add_executable(atelier_render_icon ${installer_dir}/render_icon.cpp)
target_link_libraries(atelier_render_icon PRIVATE Qt6::Gui)
set_target_properties(atelier_render_icon PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/installer)
set(icon_pngs)
foreach(size 48 128 256)
  set(png ${CMAKE_BINARY_DIR}/installer/icons/${size}x${size}/${ATELIER_APP_ID}.png)
  add_custom_command(OUTPUT ${png}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/installer/icons/${size}x${size}
    COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen $<TARGET_FILE:atelier_render_icon> ${icon_svg} ${png} ${size}
    DEPENDS atelier_render_icon ${icon_svg}
    COMMENT "Rendering the ${size}x${size} application icon"
    VERBATIM)
  install(FILES ${png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
  list(APPEND icon_pngs ${png})
endforeach()
add_custom_target(atelier_package_icons ALL DEPENDS ${icon_pngs})

set(CPACK_PACKAGE_NAME atelier)
set(CPACK_PACKAGE_VENDOR "Atelier")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "Atelier maintainers <maintainers@users.noreply.r-seed-723aa824.example>")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
# The tar.gz unpacks into one folder (atelier-<version>/bin/atelier, share/...); the .deb into /usr.
set(CPACK_PACKAGE_FILE_NAME "atelier-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "")
set(CPACK_DEBIAN_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # atelier_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPack puts the summary first and indents these lines.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Atelier chats with a local language model, creates pictures from a prompt,
inpaints, and keeps a history and gallery of everything made. No cloud: all
model math runs as Vulkan compute shaders on any GPU, or on Mesa's CPU driver.")
# dpkg-shlibdeps finds the libraries the executable links against (Qt, libvulkan1, spdlog, fmt);
# Qt's plugins are loaded at run time, so it cannot see them: SQLite for the database, SVG for the
# icons. python3-pip is what installer/models.sh fetches the default model with.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, libqt6svg6")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mesa-vulkan-drivers | vulkan-icd, qt6-image-formats-plugins") # WebP (and TIFF) pictures in chat
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-pip, xdg-utils")

include(CPack)
