import { SchemaRegistryClient } from './confluent.js';

/**
 * A registry client for a URL that may carry credentials (`kafka.schemaRegistryUrl`): fetch
 * refuses URLs with user info, so they become a basic Authorization header.
 */
export function registryClient(url: string, timeoutMs: number): SchemaRegistryClient {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return new SchemaRegistryClient({ url: parsed.toString(), timeoutMs, headers });
}
