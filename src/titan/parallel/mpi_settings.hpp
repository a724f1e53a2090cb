// The deck's [mpi] table (docs/input_deck.md): how the compute path's
// collectives take their buffers on a device build. Host-only, plain data
// (the deck reads it; parallel/mpi_buffers.hpp resolves it at start-up).
#pragma once

#include <string>

namespace titan {

//! [mpi] device_buffers: "auto" passes device pointers to MPI when the
//! library says it is CUDA-aware (at compile and at run time), "on" always
//! (refused when the library says it is not), "off" never (staged through
//! host memory). A host build passes host memory either way.
enum class DeviceBuffers { automatic, on, off };

inline char const* device_buffers_name(DeviceBuffers d) {
  switch (d) {
    case DeviceBuffers::on: return "on";
    case DeviceBuffers::off: return "off";
    default: return "auto";
  }
}

//! False for a name other than "auto", "on", "off".
inline bool parse_device_buffers(std::string const& name, DeviceBuffers& out) {
  for (DeviceBuffers d : {DeviceBuffers::automatic, DeviceBuffers::on, DeviceBuffers::off})
    if (name == device_buffers_name(d)) {
      out = d;
      return true;
    }
  return false;
}

struct MpiSettings {
  DeviceBuffers device_buffers = DeviceBuffers::automatic;
  std::string device_buffers_where = "[mpi]";  //!< "deck:line:col: [mpi]" when the deck set it, for messages
};

}  // namespace titan
