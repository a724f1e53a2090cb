// --verify-layout for the driver: the model's parameters handed to the
// collective layout check (real run), and the verdict as an error message.
#pragma once

#include "titan/modules/parameter.hpp"
#include "titan/parallel/layout_check.hpp"

#include <mpi.h>

#include <string>
#include <vector>

namespace titan {

//! This rank's ShardRecord of each parameter: its box, primary flag, the
//! elements its View(s) hold, and the fingerprint of its local values
//! (local_fingerprint(), over global indices; 0 when not allocated). Not collective.
std::vector<ShardRecord> shard_records(std::vector<ParameterPtr> const& params);

//! Collective over `comm` (whose size must be mesh.world_size()): builds the
//! mesh sub-communicators and runs verify_layout() on shard_records(params).
//! A local failure while hashing becomes a CollectiveError on every rank.
LayoutVerdict verify_model_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh, MPI_Comm comm);

//! "layout verification failed: 2 problems ...", one problem per line.
std::string describe_failure(LayoutVerdict const& verdict);

}  // namespace titan
