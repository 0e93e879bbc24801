#!/bin/sh
# A schedctl whose `up` fails during start-up, after creating its --workdir as the real one does:
# console_test_harness_test.js runs console_test.js with it.
while [ $# -gt 0 ]; do
  if [ "$1" = --workdir ]; then mkdir -p "$2"; echo "work directory $2"; fi
  shift
done
echo "schedctl up: pubsub-emulator exited during start-up (fake schedctl for console_test_harness_test.js)" >&2
exit 3
