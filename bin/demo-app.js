#!/usr/bin/env node
// A pretend web service that reports StatsD with hot-shots, the way a real Node app would, so the
// docker compose stack has application metrics to show next to the container metrics. Plain
// JavaScript (no build step): `node bin/demo-app.js` once `npm ci` has installed hot-shots.
//
// Every tick (100 ms) it "serves" a few requests and sends, with DogStatsD tags:
//   demo.requests     counter  route, status  one per request
//   demo.errors       counter  route, status  one per 5xx answer (a few % of the requests)
//   demo.request_time timer    route          one sample per request, in ms
//   demo.queue_depth  gauge    queue          the work queue's length, a random walk
//   demo.users        set                     the user each request came from
// and every line carries the global tags app:demo and env:<DEMO_ENV or demo>.
//
// Environment: STATSD_HOST (127.0.0.1), STATSD_PORT (8125), STATSD_PROTOCOL (udp or tcp),
// DEMO_ENV (demo). Options: --count N stops after N ticks (--once: one), --interval MS,
// --seed N makes the traffic repeatable. SIGTERM or SIGINT stops it after sending what is
// buffered. On exit it prints what it sent as one JSON line on stdout (tests compare it with
// what the agent received).
import { parseArgs } from 'node:util';
import hotShots from 'hot-shots';

const USAGE =
  'usage: demo-app.js [--count N | --once] [--interval MS] [--seed N]\n' +
  '  env: STATSD_HOST (127.0.0.1), STATSD_PORT (8125), STATSD_PROTOCOL (udp|tcp), DEMO_ENV (demo)\n';

const ROUTES = ['/', '/api/orders', '/api/users', '/login'];
/** How often each status answers, 3% of them 5xx. */
const STATUSES = [
  { status: '200', weight: 88 },
  { status: '201', weight: 4 },
  { status: '404', weight: 5 },
  { status: '500', weight: 2 },
  { status: '503', weight: 1 },
];
/** Typical latency per route, ms. */
const ROUTE_LATENCY = { '/': 8, '/api/orders': 45, '/api/users': 20, '/login': 120 };
const USERS = 40;

function fail(message) {
  process.stderr.write(`demo-app: ${message}\n${USAGE}`);
  process.exit(2);
}

function positiveInt(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} wants a positive integer, got ${text}`);
  return value;
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        count: { type: 'string' },
        once: { type: 'boolean' },
        interval: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    fail(error.message);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const port = Number(process.env.STATSD_PORT ?? '8125');
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    fail(`bad STATSD_PORT ${process.env.STATSD_PORT}`);
  const protocol = process.env.STATSD_PROTOCOL ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp') fail(`STATSD_PROTOCOL is udp or tcp, got ${protocol}`);
  return {
    host: process.env.STATSD_HOST || '127.0.0.1',
    port,
    protocol,
    env: process.env.DEMO_ENV || 'demo',
    count: parsed.once ? 1 : parsed.count === undefined ? Infinity : positiveInt('count', parsed.count),
    interval: parsed.interval === undefined ? 100 : positiveInt('interval', parsed.interval),
    seed: parsed.seed === undefined ? Date.now() >>> 0 : positiveInt('seed', parsed.seed),
  };
}

/** mulberry32: a small seeded generator, so --seed replays the same traffic. */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const opts = options();
const random = generator(opts.seed);
const pick = (items) => items[Math.floor(random() * items.length)];
function pickStatus() {
  let roll = random() * 100;
  for (const { status, weight } of STATUSES) {
    roll -= weight;
    if (roll < 0) return status;
  }
  return '200';
}

const client = new hotShots.StatsD({
  host: opts.host,
  port: opts.port,
  protocol: opts.protocol,
  globalTags: { app: 'demo', env: opts.env },
  // Only the tags above: DD_ENV, DD_SERVICE... of the environment would make the series vary.
  includeDataDogTags: false,
  // Pack lines into datagrams of at most 1,400 bytes (one Ethernet frame), as busy apps do.
  maxBufferSize: 1400,
  bufferFlushInterval: Math.min(opts.interval, 100),
  // A missing agent (not started yet, restarting) must not stop the app: say so and go on.
  errorHandler: (error) => process.stderr.write(`demo-app: StatsD send failed: ${error.message}\n`),
});

/** What was sent, printed on exit. */
const sent = {
  seed: opts.seed,
  ticks: 0,
  requests: 0,
  /** "route status" -> requests. */
  byRouteStatus: {},
  errors: 0,
  /** "route status" -> 5xx answers. */
  errorsByRouteStatus: {},
  /** route -> timer samples. */
  timings: {},
  users: [],
  queueDepth: 0,
};
const users = new Set();
let queueDepth = 10;

function tick() {
  const requests = 5 + Math.floor(random() * 11);
  for (let i = 0; i < requests; i++) {
    const route = pick(ROUTES);
    const status = pickStatus();
    const key = `${route} ${status}`;
    client.increment('demo.requests', 1, { route, status });
    sent.byRouteStatus[key] = (sent.byRouteStatus[key] ?? 0) + 1;
    if (status.startsWith('5')) {
      client.increment('demo.errors', 1, { route, status });
      sent.errorsByRouteStatus[key] = (sent.errorsByRouteStatus[key] ?? 0) + 1;
      sent.errors++;
    }
    // Right-skewed like real latencies: mostly near the typical value, now and then 5x.
    const typical = ROUTE_LATENCY[route];
    const ms = Math.round(typical * (0.5 + random()) * (random() < 0.05 ? 5 : 1) * 100) / 100;
    client.timing('demo.request_time', ms, { route });
    sent.timings[route] = (sent.timings[route] ?? 0) + 1;
    const user = `user-${Math.floor(random() * USERS)}`;
    client.set('demo.users', user);
    users.add(user);
  }
  sent.requests += requests;
  queueDepth = Math.max(0, queueDepth + Math.floor(random() * 7) - 3);
  client.gauge('demo.queue_depth', queueDepth, { queue: 'work' });
  sent.queueDepth = queueDepth;
  sent.ticks++;
}

let timer;
let stopping = false;
function stop(reason) {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stderr.write(`demo-app: stopping (${reason}) after ${sent.ticks} ticks\n`);
  // close() sends what is buffered before closing the socket.
  client.close((error) => {
    if (error) process.stderr.write(`demo-app: closing the StatsD client failed: ${error.message}\n`);
    sent.users = [...users].sort();
    process.stdout.write(`${JSON.stringify({ sent })}\n`);
    process.exitCode = 0;
  });
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.stderr.write(
  `demo-app: sending StatsD over ${opts.protocol} to ${opts.host}:${opts.port} every ${opts.interval} ms` +
    `${Number.isFinite(opts.count) ? `, ${opts.count} times` : ''} (seed ${opts.seed})\n`,
);
const step = () => {
  tick();
  if (sent.ticks >= opts.count) stop('count reached');
};
step();
if (!stopping) timer = setInterval(step, opts.interval);
