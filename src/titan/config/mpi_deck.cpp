#include "titan/config/mpi_deck.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

namespace titan {

void read_mpi_settings(TableReader& t, MpiSettings& s) {
  if (auto v = t.get_string("device_buffers")) {
    require(parse_device_buffers(*v, s.device_buffers),
            t.where("device_buffers") + " device_buffers = '" + echo(*v) + "' is not known (use 'auto', 'on' or 'off')");
    s.device_buffers_where = t.where("device_buffers");
  }
  t.finish();
}

toml::table mpi_settings_table(MpiSettings const& s) {
  return toml::table{{"device_buffers", device_buffers_name(s.device_buffers)}};
}

}  // namespace titan
