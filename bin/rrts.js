#!/usr/bin/env node
'use strict';
require('../dist/src/cli/main')
  .main(process.argv.slice(2))
  // Exit once stdout is flushed: `rrts dump | tail` must get everything.
  .then((code) => process.stdout.write('', () => process.exit(code)));
