import { parseConfig } from '../config.js';
import { ENVIRONMENT_NAMES } from '../config.js';
import type { Command } from './command.js';

/** Where `serve --demo` (`npm start`) serves Prometheus metrics unless HUB_METRICS_PORT says otherwise. */
const DEMO_METRICS_PORT = 9464;

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Run the hub: GraphQL over HTTP and graphql-ws on /graphql, TAXII 2.1 on /taxii2/, GET /healthz.',
  details: '--demo seeds the demo members, indicators and notices (only into an empty store) and allows anonymous reads of TLP:CLEAR records.',
  options: {
    demo: { type: 'boolean', description: 'seed the demo data and serve metrics on 9464 (as HUB_DEMO=true)' },
    port: { type: 'string', value: '<n>', description: 'TCP port (as PORT; 0 picks a free one)' },
  },
  env: ENVIRONMENT_NAMES,
  examples: ['npm start', 'HUB_DATA_DIR=/var/lib/hub npm run -s hub -- serve --port 4000'],
  async run({ values, env: processEnv }) {
    const env: Record<string, string | undefined> = { ...processEnv, ...(values.port !== undefined ? { PORT: values.port as string } : {}) };
    // The demo shows operators their metrics too (docs/metrics.md); HUB_METRICS_PORT set (even empty: off) wins.
    if (values.demo && env.HUB_METRICS_PORT === undefined) env.HUB_METRICS_PORT = String(DEMO_METRICS_PORT);
    const config = parseConfig(env, values.demo ? { demo: true } : {});
    // Loaded here: every other command starts without the HTTP, WebSocket and GraphQL servers.
    const { startHub } = await import('../main.js');
    const hub = await startHub(config);
    process.stderr.write(`hub: listening on ${hub.url} (graphql-ws on ${hub.wsUrl})${config.demo ? ', demo data loaded' : ''}\n`);
    if (hub.metrics) process.stderr.write(`hub: Prometheus metrics on ${hub.metrics.url}\n`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      hub.log.info({ signal }, 'shutting down');
      await hub.dispose();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    // Runs until a signal: the dispatcher must not exit.
    await new Promise(() => {});
  },
};
