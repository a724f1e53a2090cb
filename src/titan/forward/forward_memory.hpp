// What the forward pass allocates on one rank, found from the model's
// module tree and the batch alone, without allocating (issue 19, class 3):
// each layer reports its activation bytes (Layer::activation_bytes), the
// language model its gather pool and vocabulary chunks. The memory guard
// counts it before the model is allocated (on the allocation-free build);
// run_forward gives the same figure in the report.
#pragma once

#include "titan/modules/language_model.hpp"
#include "titan/modules/parameter.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct ForwardMemoryPlan {
  // Sizes the pass allocates from (elements).
  std::int64_t pool_elems = 0;      //!< one block's full parameters, float32 (the gather pool; 0 when read in place)
  std::int64_t chunk_rows = 0;      //!< rows of one vocabulary chunk of the embedding / output head
  std::int64_t gather_elems = 0;    //!< the largest single gather (one weight, or one chunk)
  std::int64_t n_seq = 0, tokens = 0;  //!< this rank's sequences, and tokens N = n_seq * T
  // Bytes, by what holds them.
  std::int64_t gather_pool = 0;     //!< pool_elems floats
  std::int64_t head_chunk = 0;      //!< a gathered chunk [chunk_rows, D] and the output chunk [N, chunk_rows]
  std::int64_t activations = 0;     //!< x [N, D] twice and the largest block's buffers (MoE routing included)
  std::int64_t logits = 0;          //!< this rank's logits [N, V]
  std::int64_t token_ids = 0;       //!< the batch's ids on the host [B, T] and this rank's [N]
  std::int64_t gather_staging = 0;  //!< MPI send/receive staging of the largest gather (bound)
  std::int64_t dump = 0;            //!< rank 0 with --dump-logits: every rank's logits and the file's bytes

  std::int64_t total() const;
  //! (name, bytes) of every term, in a fixed order (zeros included), for messages.
  std::vector<std::pair<std::string, std::int64_t>> terms() const;
};

//! The plan of rank `rank` of `world` for a batch of `batch` sequences of
//! `seq_len` tokens (sequences split over the ranks as run_forward does).
//! `params` tell whether the blocks are read in place (one rank, float32)
//! or gathered. `device_build`: the execution space's memory is not the
//! host's (host copies for the gathers and the logits count too). Sizes
//! beyond 64 bits saturate at INT64_MAX (the guard then refuses).
ForwardMemoryPlan plan_forward_memory(LanguageModel const& model, std::vector<ParameterPtr> const& params,
                                      std::int64_t batch, std::int64_t seq_len, int world, int rank, bool dump_logits,
                                      bool device_build);

//! Throws InputError when a batch (from the deck or from `source`, a tokens
//! file) exceeds [forward]'s bounds (max_forward_batch sequences of at most
//! max_forward_seq_len tokens), or when --dump-logits would gather more
//! logits than one MPI message holds (B * T * V > 2^31 - 1).
void check_forward_batch(std::int64_t batch, std::int64_t seq_len, std::int64_t vocab_size, bool dump_logits,
                         std::string const& source);

//! The largest batch (at most `batch`) whose plan on the heaviest rank (rank
//! 0: the most sequences and the dump) is at most `room` bytes; 0 when
//! not even one sequence fits.
std::int64_t largest_forward_batch(LanguageModel const& model, std::vector<ParameterPtr> const& params,
                                   std::int64_t batch, std::int64_t seq_len, int world, bool dump_logits,
                                   bool device_build, double room);

//! Bytes in double saturated at INT64_MAX.
std::int64_t saturate_bytes(double v);
//! True when the pass reads every block in place (one rank, float32 parameters): no gather pool.
bool reads_in_place(std::vector<ParameterPtr> const& params, int world);

}  // namespace titan
