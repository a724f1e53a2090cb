// Test-only tool: builds and initializes the model of a deck on one rank and
// writes every parameter as float32 to a safetensors file (one tensor per
// parameter, under its FQN; a tied tensor once, under its first FQN; 3-D
// tensors such as MoE experts [E, Fm, D] as they are), then every buffer
// (expert_bias, tokens_per_expert, freqs_cis) under its FQN.
//   titan_dump_weights DECK.toml OUT.safetensors [--set key=value ...]
#include "titan/config/deck.hpp"
#include "titan/core/bf16.hpp"
#include "titan/forward/safetensors.hpp"
#include "titan/models/registry.hpp"
#include "titan/modules/module.hpp"

#include <Kokkos_Core.hpp>

#include <mpi.h>

#include <cstdio>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    try {
      if (argc < 3) throw std::runtime_error("usage: titan_dump_weights DECK.toml OUT.safetensors [--set key=value ...]");
      std::vector<std::string> sets;
      for (int i = 3; i + 1 < argc; i += 2) sets.push_back(argv[i + 1]);
      titan::Deck deck = titan::read_deck(argv[1], sets, titan::deck_families());
      titan::Mesh const mesh = titan::Mesh::resolve(titan::MeshRequest{}, 1);
      titan::BuildContext ctx;
      ctx.mesh = mesh;
      ctx.rank = 0;
      ctx.dtype = deck.run.dtype;
      ctx.allocate = true;
      ctx.overrides = &deck.overrides;
      auto model = titan::find_family(deck.family).model_config(*deck.model, mesh)->build_model(ctx);
      titan::InitContext ictx;
      ictx.seed = deck.run.seed;
      model->init_states(ictx);
      Kokkos::fence();
      std::vector<titan::SafeTensor> tensors;
      std::vector<std::vector<float>> widened;  // bfloat16 parameters, as float32
      auto const params = model->parameters();
      widened.reserve(params.size());
      for (auto const& p : params) {
        titan::SafeTensor t;
        t.name = p->fqn();
        t.dtype = "F32";
        t.shape = p->shape();
        t.bytes = p->numel() * static_cast<std::int64_t>(sizeof(float));
        if (p->dtype() == titan::DType::float32) {
          t.data = p->f32().data();
        } else {
          widened.emplace_back(static_cast<std::size_t>(p->numel()));
          for (std::int64_t i = 0; i < p->numel(); ++i) widened.back()[i] = titan::bf16_to_float(p->bf16()(i));
          t.data = widened.back().data();
        }
        tensors.push_back(t);
      }
      // Buffers too (float32, under their FQNs): MoE's expert_bias, the RoPE table...
      for (auto const& b : model->buffers()) {
        if (!b->allocated()) continue;
        tensors.push_back({b->fqn(), "F32", b->shape(), b->data().data(), b->bytes()});
      }
      titan::write_safetensors(argv[2], tensors);
      std::cout << "wrote " << tensors.size() << " tensors to " << argv[2] << "\n";
    } catch (std::exception const& e) {
      std::fprintf(stderr, "titan_dump_weights: error: %s\n", e.what());
      rc = 1;
    }
  }
  MPI_Finalize();
  return rc;
}
