# The diffusion models' kernels (ops/conv2d, group_norm, gelu, channels, timestep_embedding,
# sequence_attention) and their variants. Included from shaders.cmake.

foreach(act f32 f16)
  string(TOUPPER ${act} ACT)
  foreach(param f32 f16)
    string(TOUPPER ${param} PARAM)
    atelier_shader(SOURCE conv2d.comp NAME conv2d_${act}_${param} DEFINES ACT_${ACT} WEIGHT_${PARAM})
    atelier_shader(SOURCE group_norm.comp NAME group_norm_${act}_${param}
                   DEFINES ACT_${ACT} PARAM_${PARAM} SUBGROUP_REDUCE)
    atelier_shader(SOURCE group_norm.comp NAME group_norm_${act}_${param}_shared DEFINES ACT_${ACT} PARAM_${PARAM})
    atelier_shader(SOURCE channels.comp NAME add_bias_${act}_${param} DEFINES ADD_BIAS ACT_${ACT} BIAS_${PARAM})
  endforeach()
  foreach(form erf tanh)
    string(TOUPPER ${form} FORM)
    atelier_shader(SOURCE gelu.comp NAME gelu_${form}_${act} DEFINES GELU_${FORM} ACT_${ACT})
    atelier_shader(SOURCE gelu.comp NAME geglu_${form}_${act} DEFINES GELU_${FORM} GATED ACT_${ACT})
  endforeach()
  atelier_shader(SOURCE gelu.comp NAME gelu_quick_${act} DEFINES GELU_QUICK ACT_${ACT})
  atelier_shader(SOURCE gelu.comp NAME silu_${act} DEFINES SILU ACT_${ACT})
  atelier_shader(SOURCE channels.comp NAME upsample_${act} DEFINES UPSAMPLE ACT_${ACT})
  atelier_shader(SOURCE channels.comp NAME concat_${act} DEFINES CONCAT ACT_${ACT})
endforeach()
atelier_shader(SOURCE timestep_embedding.comp)
# attention.comp on token-major k and v, all tensors of one type.
atelier_shader(SOURCE attention.comp NAME attention_tokens_f32 DEFINES KV_F32)
atelier_shader(SOURCE attention.comp NAME attention_tokens_f16 DEFINES QO_F16)
