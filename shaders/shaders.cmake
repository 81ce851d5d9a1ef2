# Every compute shader and its variants. Included from compute/CMakeLists.txt (the target that
# embeds the SPIR-V must be in the directory that declares the custom commands).

foreach(type f32 f16)
  string(TOUPPER ${type} TYPE)
  foreach(op add mul scale)
    string(TOUPPER ${op} OP)
    atelier_shader(SOURCE elementwise.comp NAME ${op}_${type} DEFINES TYPE_${TYPE} OP_${OP})
  endforeach()
endforeach()

foreach(type f32 f16)
  string(TOUPPER ${type} TYPE)
  atelier_shader(SOURCE matmul.comp NAME matmul_${type} DEFINES TYPE_${TYPE})
  atelier_shader(SOURCE matvec.comp NAME matvec_${type} DEFINES TYPE_${TYPE} SUBGROUP_REDUCE)
  atelier_shader(SOURCE matvec.comp NAME matvec_${type}_shared DEFINES TYPE_${TYPE})
  atelier_shader(SOURCE rmsnorm.comp NAME rmsnorm_${type} DEFINES WEIGHT_${TYPE} SUBGROUP_REDUCE)
  atelier_shader(SOURCE rmsnorm.comp NAME rmsnorm_${type}_shared DEFINES WEIGHT_${TYPE})
endforeach()
atelier_shader(SOURCE softmax.comp NAME softmax DEFINES SUBGROUP_REDUCE)
atelier_shader(SOURCE softmax.comp NAME softmax_shared)
atelier_shader(SOURCE fft_multiply.comp)
