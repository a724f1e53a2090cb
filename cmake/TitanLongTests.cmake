# The on-demand tier: tests labelled "long" are left out of the README's test
# command (scripts/run_tests.sh; CI runs it on 2 cores within its time) and
# run with `scripts/run_tests.sh --long` or `ctest -L long`. Each one repeats,
# over more meshes, flavours or sizes, a path that a test of the default tier
# already checks (named beside it), so the default tier still reaches every
# family, layout and feature.
set(TITAN_LONG_TESTS
    # Init bit-identical over 1-4 ranks with ep/tp, one test per MoE flavour;
    # app.moe_invariance.deepseek_v3_debug (MLA, grouped routing, shared
    # experts) stays, and train.mesh_invariance.* run every family at ep = 2.
    app.moe_invariance.qwen3_debug app.moe_invariance.qwen3_debugmodel_moe
    app.moe_invariance.deepseek_v3_q_lora app.moe_invariance.gpt_oss_debug
    app.moe_invariance.llama4_debug
    # The forward pass over 1-4 ranks per family; forward.mesh_invariance
    # (Llama3) stays, and train.mesh_invariance.* compare every family's
    # losses (the forward's output) at tp = 2 and ep = 2.
    forward.qwen3_mesh_invariance forward.qwen3_moe_mesh_invariance
    forward.deepseek_v3_mesh_invariance forward.gpt_oss_mesh_invariance
    forward.llama4_mesh_invariance
    # Reference variants at larger sizes: the 1.3 GB Qwen3-MoE weights file,
    # Llama4 with 128 experts and at T = 512; every family's first reference
    # (forward.*numpy_reference) and train.gradients.* stay.
    forward.qwen3_moe_numpy_reference forward.llama4_17bx128e_small_numpy_reference
    forward.llama4_numpy_reference_T512
    # Scale: 65,536 layers planned (the 405B plans stay); checkpoint files
    # checked on disk at 3 ranks (1 and 2 stay).
    app.dry_run_65536_layers.np1 mpi.checkpoint_files.np3
    # The HF checkpoint of Qwen3-MoE (0.3 GB saved six times); the per-expert
    # HF names of Llama4, DeepSeek-V3 and gpt-oss, and Qwen3's dense names, stay.
    app.hf_checkpoint.qwen3_moe)

# Adds the label to those of the list created in the calling directory
# (CMake 3.25 sets test properties only there).
function(titan_label_long_tests)
  foreach(t ${TITAN_LONG_TESTS})
    if(TEST ${t})
      set_property(TEST ${t} APPEND PROPERTY LABELS long)
    endif()
  endforeach()
endfunction()
