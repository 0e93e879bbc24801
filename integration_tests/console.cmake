# The console (docs/console.md) in headless Chromium: a node script (playwright-core from
# integration_tests/console/package-lock.json, installed by `npm ci` in scripts/test.sh) starts
# `schedctl up` with its console on free ports and drives /usr/bin/chromium through the issue's
# scenarios. The screenshot it takes lands in the build directory (docs/console.png is a copy of one).
add_test(NAME console_browser_integration_test
  COMMAND node ${CMAKE_CURRENT_SOURCE_DIR}/console/console_test.js
          --schedctl $<TARGET_FILE:schedctl>
          --screenshot ${CMAKE_BINARY_DIR}/console.png)
set_tests_properties(console_browser_integration_test PROPERTIES LABELS integration TIMEOUT 600)

# The page against a fake /api (integration_tests/console/page_test.js): markup in every string stays
# text, field errors, polls that never overlap, chart figures. Chromium, no pipeline.
add_test(NAME console_page_integration_test
  COMMAND node ${CMAKE_CURRENT_SOURCE_DIR}/console/page_test.js)
set_tests_properties(console_page_integration_test PROPERTIES LABELS integration TIMEOUT 120)

# console_test.js itself when `schedctl up` fails at start-up (a fake schedctl that exits 3): it must fail
# at once, naming the exit code and quoting the output, and keep its files. No browser, no pipeline.
add_test(NAME console_test_harness_test
  COMMAND node ${CMAKE_CURRENT_SOURCE_DIR}/console/console_test_harness_test.js)
set_tests_properties(console_test_harness_test PROPERTIES LABELS integration TIMEOUT 120)
