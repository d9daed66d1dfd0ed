#!/usr/bin/env node
// A solc command line over the official solc-wasm build (npm package `solc`).
//
// It answers the two calls py-solc-x (and so ape-solidity) makes of a native solc:
//   --version                         -> "Version: <long version>" on stdout
//   --standard-json [--base-path P] [--include-path P]... [--allow-paths A,B]
//                                     -> standard JSON in on stdin, standard JSON out on stdout
// and a file mode for people:        <file.sol>... [--base-path P] [--include-path P]
//                                     -> abi and bytecode as JSON on stdout.
//
// Exit codes follow native solc: --standard-json exits 0 and reports compiler errors inside
// the JSON (py-solc-x raises them with the compiler's own formattedMessage); they are also
// written to stderr. File mode exits 1 on any compiler error, with the compiler's messages on
// stderr. A usage error exits 2.
//
// Output is written with a callback and the exit code is set with process.exitCode, never
// process.exit(): exiting right after a large write to a pipe truncates it (~64 KB).
'use strict';

const fs = require('fs');
const path = require('path');

function loadSolc() {
  // The project's node_modules is found from this file's location, not from the caller's cwd.
  const roots = [process.env.GOVCHAIN_NODE_MODULES, path.resolve(__dirname, '..', '..', 'node_modules')];
  for (const root of roots) {
    if (!root) continue;
    const candidate = path.join(root, 'solc');
    if (fs.existsSync(candidate)) return require(candidate);
  }
  return require('solc');
}

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], allowPaths: [], files: [], mode: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`option ${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--version') opts.mode = 'version';
    else if (arg === '--standard-json') opts.mode = 'standard-json';
    else if (arg === '--base-path') opts.basePath = value();
    else if (arg === '--include-path') opts.includePaths.push(value());
    else if (arg === '--allow-paths') opts.allowPaths.push(...value().split(',').filter(Boolean));
    else if (arg.startsWith('--')) throw new Error(`unsupported option ${arg}`);
    else opts.files.push(arg);
  }
  if (!opts.mode) opts.mode = opts.files.length ? 'files' : null;
  if (!opts.mode) throw new Error('nothing to do: use --version, --standard-json or give .sol files');
  return opts;
}

function makeImportCallback(opts) {
  const roots = [opts.basePath, ...opts.includePaths, ...opts.allowPaths, process.cwd()].filter(Boolean);
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
    for (const candidate of candidates) {
      try {
        if (fs.statSync(candidate).isFile()) return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (_) {
        /* try the next root */
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

function write(stream, text, done) {
  if (text.length === 0) return done();
  stream.write(text, done);
}

function errorsOf(output) {
  return (output.errors || []).filter((e) => e.severity === 'error');
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`solcjs-shim: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  const solc = loadSolc();
  if (opts.mode === 'version') {
    write(process.stdout, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`, () => {});
    return;
  }

  let input;
  if (opts.mode === 'standard-json') {
    input = readStdin();
  } else {
    const sources = {};
    for (const file of opts.files) {
      const key = opts.basePath ? path.relative(opts.basePath, path.resolve(file)) : file;
      sources[key] = { content: fs.readFileSync(file, 'utf8') };
    }
    input = JSON.stringify({
      language: 'Solidity',
      sources,
      settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
    });
  }

  const outputText = solc.compile(input, { import: makeImportCallback(opts) });
  const output = JSON.parse(outputText);
  const errors = errorsOf(output);
  const messages = errors.map((e) => e.formattedMessage || e.message).join('\n');

  if (opts.mode === 'standard-json') {
    write(process.stdout, outputText, () => {
      if (messages) write(process.stderr, messages + '\n', () => {});
    });
    return;
  }
  if (errors.length) {
    write(process.stderr, messages + '\n', () => {});
    process.exitCode = 1;
    return;
  }
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      contracts[`${file}:${name}`] = { abi: c.abi, bin: c.evm.bytecode.object };
    }
  }
  write(process.stdout, JSON.stringify({ contracts, version: solc.version() }) + '\n', () => {});
}

main();
