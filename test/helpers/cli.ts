/**
 * Running the real CLI in tests: `dist/` is rebuilt when any source is newer, then
 * `node bin/asterism.js …` runs as a child process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(root, 'bin', 'asterism.js');
const compiledMain = join(root, 'dist', 'lib', 'cli', 'main.js');

function newestSource(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return path.endsWith('.ts') || path.endsWith('.json') ? info.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Compiles lib/ into dist/ when a source is newer than the compiled CLI. */
export function buildIfStale(): void {
  const sources = Math.max(newestSource(join(root, 'lib')), ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(root, f)).mtimeMs));
  if (existsSync(compiledMain) && statSync(compiledMain).mtimeMs >= sources) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  // tsc still emits when some other module has a type error; that is the typecheck's job to
  // report, not the CLI suites', so only a missing CLI build stops them.
  if (!existsSync(compiledMain) || statSync(compiledMain).mtimeMs < sources) {
    throw new Error(`building the CLI failed:\n${result.stdout}${result.stderr}`);
  }
}

/** What one CLI run printed and how it ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `asterism …args` in `cwd`. */
export function runCli(args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; binPath?: string } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [options.binPath ?? bin, ...args], { cwd, env: { ...process.env, ...options.env } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
