#!/usr/bin/env node
// Compiles src/*.sol with solc-js (standard JSON) and writes out/<Name>.json holding the ABI and the
// creation bytecode of each deployable contract. `node compile.js --check` compiles in memory and
// fails if out/ differs from what the sources produce (the committed artifacts are stale).
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = __dirname;
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'out');
const CONTRACTS = ['GensynToken', 'ProviderStaking', 'JobEscrow', 'AdminTimelock', 'MockUSDC'];
const check = process.argv.includes('--check');

let solc;
try {
  solc = require('solc');
} catch (e) {
  console.error('error: solc-js is not installed; run contracts-sol/build.sh (npm install) first');
  process.exit(2);
}

const sources = {};
for (const file of fs.readdirSync(SRC).filter(f => f.endsWith('.sol')).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(SRC, file), 'utf8') };
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    // Pinned so that the bytecode does not change with solc's default target.
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};

// Resolves `@openzeppelin/...` (and any other package import) from node_modules.
function findImports(importPath) {
  const candidates = [path.join(ROOT, 'node_modules', importPath), path.join(SRC, importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `import not found: ${importPath} (is @openzeppelin/contracts installed? run contracts-sol/build.sh)` };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter(e => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage || e.message);
if (errors.length > 0) {
  console.error(`error: solc ${solc.version()} reported ${errors.length} compile error(s); nothing was written`);
  process.exit(1);
}

let stale = [];
if (!check) fs.mkdirSync(OUT, { recursive: true });
for (const name of CONTRACTS) {
  const unit = output.contracts[`${name}.sol`];
  const contract = unit && unit[name];
  if (!contract) {
    console.error(`error: contract ${name} not found in src/${name}.sol`);
    process.exit(1);
  }
  const artifact = {
    contractName: name,
    compiler: `solc-js ${solc.version()}`,
    abi: contract.abi,
    bytecode: '0x' + contract.evm.bytecode.object,
  };
  const text = JSON.stringify(artifact, null, 2) + '\n';
  const file = path.join(OUT, `${name}.json`);
  if (check) {
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (existing !== text) stale.push(`out/${name}.json`);
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote out/${name}.json (${contract.evm.bytecode.object.length / 2} bytes of bytecode)`);
  }
}
if (stale.length > 0) {
  console.error(`error: ${stale.join(', ')} not up to date with src/; run contracts-sol/build.sh and commit out/`);
  process.exit(1);
}
if (check) console.log('contracts-sol/out is up to date');
