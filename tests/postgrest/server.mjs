// Runs the PostgREST stand-in until SIGINT or SIGTERM.
//
//   node tests/postgrest/server.mjs --port 0 --database-url "$(scripts/pg-up)" \
//     --service-key "$SERVICE_KEY" --anon-key "$ANON_KEY"
//
// Prints {"event":"postgrest_listening","port":N} once listening (port 0 picks a free one),
// then one JSON object per request. Keys may come from STANDIN_SERVICE_KEY and
// STANDIN_ANON_KEY instead of flags, which keeps them out of the process list.

import { parseArgs } from 'node:util';

import { startStandin } from './standin.mjs';

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'database-url': { type: 'string', default: process.env.HEYHI_PG_URL },
      'service-key': { type: 'string', default: process.env.STANDIN_SERVICE_KEY },
      'anon-key': { type: 'string', default: process.env.STANDIN_ANON_KEY },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port: 0 to 65535');
  if (!values['database-url']) throw new Error('--database-url is required');
  return {
    port,
    host: values.host,
    databaseUrl: values['database-url'],
    serviceKey: values['service-key'],
    anonKey: values['anon-key'],
  };
}

async function main() {
  const standin = await startStandin({ ...options(), log: emit });
  emit({ event: 'postgrest_listening', port: standin.port });
  const stop = async (signal) => {
    await standin.close();
    emit({ event: 'postgrest_stopped', signal });
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  emit({ event: 'postgrest_failed', message: err.message });
  process.exit(1);
});
