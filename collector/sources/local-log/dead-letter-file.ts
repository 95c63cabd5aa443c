/**
 * `corral start` has no dead-letter topic: poison messages are appended to a JSON-lines file
 * beside the log, one object per message with the same fields the topic's headers carry
 * (reason, detail, original_*), key and value in base64. Bounded: past maxBytes the file is
 * renamed to `.1` (replacing the previous one) and a new one is started.
 */
import { appendFile, rename, stat } from 'node:fs/promises';
import type { Message } from 'kafkajs';
import type { DeadLetterProducer } from '../kafka/dead-letter.js';

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class DeadLetterFile implements DeadLetterProducer {
  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {}

  async send(topic: string, messages: Message[]): Promise<void> {
    const lines = messages.map((message) => `${JSON.stringify(deadLetterLine(topic, message))}\n`).join('');
    if ((await sizeOf(this.path)) + lines.length > this.maxBytes)
      await rename(this.path, `${this.path}.1`).catch(() => {});
    await appendFile(this.path, lines);
  }

  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

function deadLetterLine(topic: string, message: Message): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return {
    topic,
    ...headers,
    timestamp: message.timestamp,
    key: message.key == null ? null : Buffer.from(message.key).toString('base64'),
    value: message.value == null ? null : Buffer.from(message.value).toString('base64'),
  };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
