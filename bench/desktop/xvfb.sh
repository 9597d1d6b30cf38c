# An X server of our own for the desktop window: sourced by .ci/desktop.sh and
# bench/desktop/memory.sh. Needs xvfb and x11-utils.
#
# start_xvfb FIRST LAST LOG: starts Xvfb (no auth, no TCP: only this job uses it) on the
# first free display number from FIRST to LAST, logging to LOG; adds its pid to the
# caller's pids array, waits until it answers and exports DISPLAY. Fails when no
# display is free or the server does not answer.
start_xvfb() {
  local first=$1 last=$2 log=$3 n disp=""
  for n in $(seq "$first" "$last"); do
    if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then disp=":$n"; break; fi
  done
  [ -n "$disp" ] || { echo "no free X display from :$first to :$last" >&2; return 1; }
  Xvfb "$disp" -screen 0 1440x900x24 -nolisten tcp >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do xdpyinfo -display "$disp" >/dev/null 2>&1 && break; sleep 0.1; done
  xdpyinfo -display "$disp" >/dev/null 2>&1 || { echo "Xvfb did not start on $disp" >&2; return 1; }
  export DISPLAY="$disp"
}
