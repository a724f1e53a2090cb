# Sourced by the tests that hold a byte-exact memory plan to the measured peak
# RSS (train_memory.sh, train_plan.sh's peak part, sharded_memory.sh). Where
# this machine charges RSS in units larger than the pages touched
# (rss_probe.py says why that happens and how it is measured), such a
# comparison measures the machine, not titan: the test says so and exits 77,
# which CTest reports as skipped, not passed.
require_page_granular_rss() {  # python
  local probe rc=0
  probe=$("$1" "$(dirname "${BASH_SOURCE[0]}")/rss_probe.py" 2>&1) || rc=$?
  echo "$probe"
  if [ "$rc" -eq 77 ]; then
    echo "SKIPPED: peak RSS is not comparable with a byte-exact plan on this machine (see above)"
    exit 77
  fi
  [ "$rc" -eq 0 ] || { echo "FAIL: rss_probe.py exited $rc"; exit 1; }
}
