#!/usr/bin/env node
// Command line for the provider emulator.
//
//   node tests/emulator/server.mjs --port 9100 [--host 127.0.0.1] [--faults faults.json]
//
// Port 0 picks a free port. Once listening, prints one JSON line to stdout:
//   {"event":"emulator_listening","port":9100}
// and then one JSON line per request to stderr.

import { startEmulator, stderrLog } from './emulator.mjs';

const USAGE = 'usage: server.mjs --port N [--host ADDRESS] [--faults PATH]';

function parseArgs(argv) {
  const options = { port: 9100, host: '127.0.0.1', faults: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value; ${USAGE}`);
    if (flag === '--port') options.port = parsePort(value);
    else if (flag === '--host') options.host = value;
    else if (flag === '--faults') options.faults = value;
    else throw new Error(`unknown option ${flag}; ${USAGE}`);
  }
  return options;
}

function parsePort(value) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator({ ...options, log: stderrLog });
  process.stdout.write(`${JSON.stringify({ event: 'emulator_listening', port: emulator.port })}\n`);
  const stop = () => emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  stderrLog({ event: 'emulator_failed', message: err.message });
  process.exit(2);
});
