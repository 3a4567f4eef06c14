#!/usr/bin/env bash
# Chart.js for the console's service metrics page (scripts/install_npm_asset.sh: pinned version and integrity).
exec "$(dirname "$0")/install_npm_asset.sh" chart.js 4.5.1 \
  "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw==" \
  "the metrics page's charts" dist/chart.umd.min.js LICENSE.md package.json
