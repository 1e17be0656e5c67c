#!/usr/bin/env node
// Prints the one closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON
// report and the native test log's own "N passed, N failed" line; exits 1 on any failure or
// when a report is missing.
import { existsSync, readFileSync } from 'node:fs';

const [vitestJson, nativeLog] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
let missing = false;

if (vitestJson && existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false && failed === 0) failed += 1;
} else {
  console.log(`no vitest report at ${vitestJson}`);
  missing = true;
}

if (nativeLog && existsSync(nativeLog)) {
  const lines = readFileSync(nativeLog, 'utf8').split('\n').filter((l) => /^\s*\d+ passed, \d+ failed/.test(l));
  for (const line of lines) {
    const m = line.match(/(\d+) passed, (\d+) failed/);
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (lines.length === 0) { console.log('the native test log has no summary line'); missing = true; }
} else if (nativeLog) {
  console.log(`no native test log at ${nativeLog}`);
  missing = true;
}

if (missing) failed += 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
