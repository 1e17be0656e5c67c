/**
 * The `asterism` command line: finds the subcommand, parses its options with node:util parseArgs
 * (strict, so a typo is an error rather than a silently ignored flag), runs it, and turns errors
 * into messages and exit codes. Commands live one per file in ./commands/ and only parse and print;
 * the work is the library's.
 *
 * Adding a command: write `commands/<name>.ts` exporting a {@link Command}, add it to
 * {@link commands}. Keep heavy imports (sharp, the addon, ONNX) inside `run` so that `--help` and
 * `--version` stay instant.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isAsterismError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { detectCommand } from './commands/detect.js';
import { fieldCommand } from './commands/field.js';
import { inclineCommand } from './commands/incline.js';
import { indexCommand } from './commands/index.js';
import { lookupCommand } from './commands/lookup.js';
import { serveCommand } from './commands/serve.js';
import { solveCommand } from './commands/solve.js';

/** Exit statuses, documented in `asterism --help`. */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /** It ran fine but found nothing: field not solved, object not in the catalogue. */
  noResult: 1,
  /** Bad input or usage: unreadable image, invalid option value, unknown command or option. */
  usage: 2,
  /** A bug in asterism (an unexpected exception, or the native addon failing on valid input). */
  internal: 3,
  /** Interrupted with Ctrl-C (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

/** The subset of a writable stream the CLI uses; `process.stdout` and `process.stderr` fit. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What a command gets besides its arguments. */
export interface CommandContext {
  /** Results only: what a script would parse. */
  stdout: OutputStream;
  /** Progress, warnings and errors. */
  stderr: OutputStream;
  /** Fires on Ctrl-C; pass it to every library call. */
  signal: AbortSignal;
}

/** One option of a command, as parseArgs takes it plus what the help text needs. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder for the value in help, for example `n` or `file.png` (string options). */
  value?: string;
  /** One or two sentences; the default, when there is one, in parentheses at the end. */
  description: string;
  /** The option may be given several times (string options); read it with {@link CommandArgs.strings}. */
  multiple?: boolean;
}

/** A positional argument; all are required, in order, unless `optional`. */
export interface PositionalSpec {
  name: string;
  description: string;
  /** The last positional may take one or more values (`<file>...`). */
  variadic?: boolean;
  /** The last positional may be left out (`[<image>]`): the command then takes its input from options and checks that itself. */
  optional?: boolean;
}

/** A number option's accepted range, checked by {@link CommandArgs.number}. */
export interface NumberRule {
  integer?: boolean;
  /** Smallest accepted value (inclusive unless `exclusiveMin`). */
  min?: number;
  exclusiveMin?: boolean;
}

/** Parsed, checked arguments of one command run. */
export interface CommandArgs {
  positionals: string[];
  /** True when the boolean option was given. */
  flag(name: string): boolean;
  /** The value of a string option, or undefined when absent. */
  string(name: string): string | undefined;
  /** Every value of a repeatable string option, in order (empty when absent). */
  strings(name: string): string[];
  /** The value of a string option read as a number; throws a usage error when it is not a number in range. */
  number(name: string, rule?: NumberRule): number | undefined;
}

/** A subcommand: its help text is generated from these fields, so the two cannot drift apart. */
export interface Command {
  name: string;
  /** One line for the command list in `asterism --help`. */
  summary: string;
  /** A paragraph for `asterism <name> --help`. */
  description: string;
  positionals: PositionalSpec[];
  /** Keyed by long name without dashes (`max-stars`); `--help` is added to every command. */
  options: Record<string, OptionSpec>;
  examples?: string[];
  /**
   * A command grouping actions (`asterism index info …`): the first argument picks one, whose
   * `name` is the full phrase (`index info`). Such a command's own `run` is never called.
   */
  actions?: readonly Command[];
  /** Does the work and returns the exit status ({@link EXIT}). Throw AsterismError for bad input. */
  run(args: CommandArgs, context: CommandContext): Promise<number>;
}

/** Every subcommand, in the order `asterism --help` lists them. */
export const commands: readonly Command[] = [detectCommand, solveCommand, inclineCommand, fieldCommand, lookupCommand, serveCommand, indexCommand];

/** A mistake on the command line: printed with a pointer to the help, exit status 2. */
class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}


const HELP_WIDTH = 80;

function wrap(text: string, indent: number, width = HELP_WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Two-column list: names padded to a common width, descriptions wrapped beside them. */
function table(rows: Array<[string, string]>): string {
  const nameWidth = Math.min(28, Math.max(...rows.map(([name]) => name.length)) + 2);
  return rows.map(([name, text]) => {
    const head = `  ${name}`;
    const pad = head.length + 2 > nameWidth + 2 ? `\n${' '.repeat(nameWidth + 2)}` : ' '.repeat(nameWidth + 2 - head.length);
    return `${head}${pad}${wrap(text, nameWidth + 2)}`;
  }).join('\n');
}

const EXIT_HELP = table([
  [String(EXIT.ok), 'success'],
  [String(EXIT.noResult), 'ran, but found no answer (field not solved, object not found)'],
  [String(EXIT.usage), 'bad input or usage: unreadable image, invalid option, unknown command'],
  [String(EXIT.internal), 'internal error, a bug in asterism: please report it with the printed stack'],
  [String(EXIT.interrupted), 'interrupted (Ctrl-C)'],
]);

function mainHelp(): string {
  return [
    `asterism ${packageVersion()}: blind astrometric solving and galaxy inclination`,
    '',
    'Usage: asterism <command> [options]',
    '       asterism <command> --help',
    '',
    'Commands:',
    table(commands.map((c) => [c.name, c.summary])),
    '',
    'Options:',
    table([['-h, --help', 'show this help'], ['-v, --version', 'print the version']]),
    '',
    'Results go to stdout; progress, warnings and errors to stderr.',
    'Set ASTERISM_FORCE_JS=1 to use the TypeScript implementations instead of the native addon.',
    '',
    'Exit status:',
    EXIT_HELP,
    '',
  ].join('\n');
}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

function commandOptions(command: Command): Record<string, OptionSpec> {
  return { ...command.options, help: { type: 'boolean', short: 'h', description: 'show this help' } };
}

function commandHelp(command: Command): string {
  const positionals = command.positionals.map((p) => (p.optional ? `[<${p.name}>${p.variadic ? '...' : ''}]` : `<${p.name}>${p.variadic ? '...' : ''}`)).join(' ');
  if (command.actions) {
    return [
      `Usage: asterism ${command.name} <action> [options]`,
      '       asterism ' + command.name + ' <action> --help',
      '',
      wrap(command.description, 0),
      '',
      'Actions:',
      table(command.actions.map((a) => [a.name.slice(command.name.length + 1), a.summary])),
      '',
      'Exit status:',
      EXIT_HELP,
      '',
    ].join('\n');
  }
  const parts = [
    `Usage: asterism ${command.name}${positionals ? ` ${positionals}` : ''} [options]`,
    '',
    wrap(command.description, 0),
  ];
  if (command.positionals.length) parts.push('', 'Arguments:', table(command.positionals.map((p) => [`<${p.name}>`, p.description])));
  parts.push('', 'Options:', table(Object.entries(commandOptions(command)).map(([name, spec]) => [optionLabel(name, spec), spec.description])));
  if (command.examples?.length) parts.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  parts.push('', 'Exit status:', EXIT_HELP, '');
  return parts.join('\n');
}

/** Rewords parseArgs' messages, which are written for programmers calling parseArgs. */
function parseArgsMessage(e: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const unexpected = /^Unexpected argument '([^']+)'/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && unexpected) return `unexpected argument '${unexpected[1]}'`;
  return e.message.replace(/\.$/, '');
}

function parse(args: string[], options: Record<string, OptionSpec>, allowPositionals: boolean, command?: string) {
  const config: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(options)) {
    config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    return parseArgs({ args, options: config, strict: true, allowPositionals });
  } catch (e) {
    if (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(parseArgsMessage(e as Error), command);
    }
    throw e;
  }
}

function commandArgs(values: Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: string[], command: string): CommandArgs {
  const string = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    positionals,
    flag: (name) => values[name] === true,
    string,
    strings(name) {
      const v = values[name];
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
    },
    number(name, rule = {}) {
      const text = string(name);
      if (text === undefined) return undefined;
      const value = text.trim() === '' ? NaN : Number(text);
      const min = rule.min;
      const inRange = min === undefined || (rule.exclusiveMin ? value > min : value >= min);
      if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || !inRange) {
        const kind = rule.integer ? 'a whole number' : 'a number';
        const bound = min === undefined ? '' : ` ${rule.exclusiveMin ? '>' : '≥'} ${min}`;
        throw new UsageError(`--${name} expects ${kind}${bound}, got '${text}'`, command);
      }
      return value;
    },
  };
}

function findCommand(name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})`);
  return command;
}

/** Picks the action of a command with actions from the first argument; returns the command and the rest. */
function findAction(command: Command, args: string[]): { command: Command; args: string[] } {
  const actions = command.actions;
  if (!actions || args.length === 0 || args[0].startsWith('-')) return { command, args };
  const names = actions.map((a) => a.name.slice(command.name.length + 1));
  const at = names.indexOf(args[0]);
  if (at < 0) throw new UsageError(`unknown action '${args[0]}' (actions: ${names.join(', ')})`, command.name);
  return { command: actions[at], args: args.slice(1) };
}

/** Prints an error and picks the exit status: usage and input errors 2, bugs 3, Ctrl-C 130. */
function report(e: unknown, stderr: OutputStream): number {
  if (e instanceof UsageError) {
    const where = e.command ? `asterism ${e.command}` : 'asterism';
    stderr.write(`${where}: ${e.message}\nRun '${where} --help' for usage.\n`);
    return EXIT.usage;
  }
  if (isAsterismError(e)) {
    stderr.write(`asterism: ${e.message} (${e.code})\n`);
    if (e.code === 'E_ABORTED') return EXIT.interrupted;
    return e.code === 'E_NATIVE' ? EXIT.internal : EXIT.usage;
  }
  const stack = e instanceof Error ? e.stack ?? e.message : String(e);
  stderr.write(`asterism: internal error (this is a bug; please report it with the lines below)\n${stack}\n`);
  return EXIT.internal;
}

/** Where the CLI writes; tests substitute their own streams. */
export interface CliIO {
  stdout?: OutputStream;
  stderr?: OutputStream;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and resolves to the exit status.
 * Never throws; bin/asterism.js sets `process.exitCode` from the result. It calls `process.exit`
 * only on a second Ctrl-C and when the reader of stdout has gone away (EPIPE).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['detect', 'm42.fits', '--json']);
 * ```
 */
export async function main(argv: string[], io: CliIO = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    if (argv.length === 0) {
      stderr.write(mainHelp());
      return EXIT.usage;
    }
    const [first, ...rest] = argv;
    if (first.startsWith('-')) {
      const { values, positionals } = parse(argv, { help: { type: 'boolean', short: 'h', description: '' }, version: { type: 'boolean', short: 'v', description: '' } }, true);
      if (values.help) return help(positionals, stdout);
      if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      stdout.write(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    // `asterism help detect` and `asterism --help detect` mean `asterism detect --help`.
    if (first === 'help') return help(rest, stdout);
    const { command, args } = findAction(findCommand(first), rest);
    const { values, positionals } = parse(args, commandOptions(command), true, command.name);
    if (values.help) {
      stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    if (command.actions) throw new UsageError(`missing action (actions: ${command.actions.map((a) => a.name.slice(command.name.length + 1)).join(', ')})`, command.name);
    const expected = command.positionals.length;
    const variadic = command.positionals.at(-1)?.variadic === true;
    const required = command.positionals.at(-1)?.optional === true ? expected - 1 : expected;
    if (positionals.length < required || (!variadic && positionals.length > expected)) {
      const names = command.positionals.map((p) => `<${p.name}>`).join(' ');
      throw new UsageError(positionals.length < expected ? `missing ${names.split(' ').slice(positionals.length).join(' ')}` : `expected ${expected ? names : 'no arguments'}, got ${positionals.length} arguments`, command.name);
    }
    return await runCommand(command, commandArgs(values, positionals, command.name), stdout, stderr);
  } catch (e) {
    return report(e, stderr);
  }
}

function help(names: string[], stdout: OutputStream): number {
  if (names.length === 0) {
    stdout.write(mainHelp());
    return EXIT.ok;
  }
  const command = findCommand(names[0]);
  if (names.length > (command.actions ? 2 : 1)) throw new UsageError(command.actions ? 'help takes at most a command name and an action' : 'help takes at most one command name');
  stdout.write(commandHelp(findAction(command, names.slice(1)).command));
  return EXIT.ok;
}

async function runCommand(command: Command, args: CommandArgs, stdout: OutputStream, stderr: OutputStream): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  // First Ctrl-C: abort cleanly through the library's AbortSignal. Second: the user means it.
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    stderr.write('\nasterism: stopping (press Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  // A reader that goes away (`asterism detect … | head`) is not an error worth a stack trace.
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  };
  process.on('SIGINT', onInterrupt);
  if (stdout === process.stdout) process.stdout.on('error', onStdoutError);
  try {
    const status = await command.run(args, { stdout, stderr, signal: controller.signal });
    return controller.signal.aborted ? EXIT.interrupted : status;
  } finally {
    process.off('SIGINT', onInterrupt);
    if (stdout === process.stdout) process.stdout.off('error', onStdoutError);
  }
}
