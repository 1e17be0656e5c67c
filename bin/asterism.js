#!/usr/bin/env node
// The CLI lives in lib/cli; this shim only points at its compiled form.
import('../dist/lib/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 2; },
);
