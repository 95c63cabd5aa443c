import type { AddressInfo } from 'node:net';
import { formatAddress } from '../../agent/sources/statsd/listen-address.js';
import type { CorralConfig } from '../config/schema.js';
import type { RunningStart } from './start.js';

function httpUrl(address: AddressInfo | null): string | undefined {
  if (address === null) return undefined;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** What `corral start` prints once everything listens: where to send, where to look, how to query. */
export function startBanner(running: RunningStart, config: CorralConfig): string {
  const statsd = running.agent.statsd;
  const udp = statsd?.udpAddress ?? null;
  const tcp = statsd?.tcpAddress ?? null;
  const agentUrl = httpUrl(running.agent.httpAddress);
  const collectorUrl = httpUrl(running.collector.httpAddress);
  const c = config.collector;
  const storage =
    c.storage === 'embedded'
      ? `embedded ClickHouse in ${c.dataDir} (database ${c.database})`
      : `ClickHouse server ${c.clickhouseUrl} (database ${c.database})`;
  const lines = ['corral is running: agent and collector in one process', ''];
  if (udp !== null || tcp !== null) {
    const listeners = [
      udp === null ? undefined : `udp ${formatAddress(udp)}`,
      tcp === null ? undefined : `tcp ${formatAddress(tcp)}`,
    ].filter((text) => text !== undefined);
    lines.push(`  StatsD      ${listeners.join(', ')}`);
    if (udp !== null)
      lines.push(`              try: echo "hello.requests:1|c|#route:/" | nc -u -w0 ${udp.host} ${udp.port}`);
  } else {
    lines.push('  StatsD      off (agent.sources or statsd.udp/tcp)');
  }
  if (agentUrl !== undefined) lines.push(`  Agent API   ${agentUrl}/v0/node  ${agentUrl}/metrics`);
  if (collectorUrl !== undefined) lines.push(`  Collector   ${collectorUrl}/readyz  ${collectorUrl}/metrics`);
  lines.push(`  Storage     ${storage}`);
  lines.push(`  Query       npx corral query "SELECT name, count() FROM datapoints GROUP BY name"`);
  lines.push('', 'Ctrl-C stops: what is aggregated is flushed and stored first.', '');
  return lines.join('\n');
}
