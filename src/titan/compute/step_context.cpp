#include "titan/compute/step_context.hpp"

#include "titan/compute/token_kernels.hpp"
#include "titan/core/human_bytes.hpp"
#include "titan/parallel/collective.hpp"

#include <new>

namespace titan {

void StepContext::guarded(std::function<void()> const& fn) {
  std::string const planned = planned_bytes > 0 ? human_bytes(planned_bytes) + " of " : std::string();
  struct Restore {  // the flag falls back when fn or the agreement throws too
    bool& flag;
    bool const was;
    ~Restore() { flag = was; }
  } restore{_in_guarded, _in_guarded};
  _in_guarded = true;
  collective(comm, [&] {
    try {
      fn();
    } catch (CollectiveError const&) {  // from an agreement inside fn: already every rank's, passed on as it is
      throw;
    } catch (std::bad_alloc const& e) {
      throw RunError(pass + ": allocating the pass's " + planned +
                     "buffers failed (the memory guard counts them: was it overridden with --force?): " + e.what());
    } catch (std::runtime_error const& e) {  // Kokkos reports a failed allocation as a runtime_error
      std::string const what = e.what();
      if (what.find("allocate") == std::string::npos) throw;
      throw RunError(pass + ": allocating the pass's " + planned +
                     "buffers failed (the memory guard counts them: was it overridden with --force?): " + what);
    }
  });
}

void StepContext::before_collective() const {
  if (_in_guarded) agree(comm);
}

void StepContext::tp_all_reduce(Act const& x) {
  if (weights.tp_size() == 1) return;
  before_collective();
  weights.tp_all_reduce(x);
}

void StepContext::inject_fault(std::string const& fqn) const {
  if (!fail_module.empty() && fqn == fail_module)
    throw RunError("injected failure in module " + fqn + " (" + pass + ")");
}

void StepContext::require_finite(FMat x, std::string const& where) const {
  std::int64_t const bad = count_non_finite(x);
  if (bad > 0)
    throw RunError(pass + ": " + std::to_string(bad) + " non-finite values (NaN or Inf) in " + where + " (sequences " +
                   std::to_string(first_sequence) + "-" + std::to_string(first_sequence + n_seq - 1) +
                   " of the batch, on this rank)");
}

}  // namespace titan
