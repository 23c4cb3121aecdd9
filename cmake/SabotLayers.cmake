# sabot_layer(<target> DIR <folder under src/> [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# Builds every .cpp under src/<folder> into a static library whose include path is a view of its
# own folder only: build/layers/<target>/<folder> is a link to src/<folder>, so the layer includes
# its headers as "<folder>/x.hpp" and sees another layer's headers only by linking that layer
# (PUBLIC_DEPS: its headers use the dependency's; PRIVATE_DEPS: only its sources do). A header of
# a layer it does not link is simply not on its path: the include fails to compile.
function(sabot_layer target)
  cmake_parse_arguments(LAYER "" "DIR" "PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(folder ${PROJECT_SOURCE_DIR}/src/${LAYER_DIR})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${folder}/*.cpp)
  add_library(${target} STATIC ${sources})

  set(view ${PROJECT_BINARY_DIR}/layers/${target})
  get_filename_component(link_parent ${view}/${LAYER_DIR} DIRECTORY)
  file(MAKE_DIRECTORY ${link_parent})
  file(CREATE_LINK ${folder} ${view}/${LAYER_DIR} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${view})

  target_link_libraries(${target} PUBLIC ${LAYER_PUBLIC_DEPS} PRIVATE ${LAYER_PRIVATE_DEPS})
endfunction()
