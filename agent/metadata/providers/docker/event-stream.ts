/**
 * Follows GET /events for as long as it is watched: one long-lived response of newline-delimited
 * JSON, reopened with backoff whenever it ends or fails. The request timeout covers connecting
 * and the headers only; the body has none, since a quiet node sends nothing for hours.
 */

import type { IncomingMessage } from 'node:http';
import { type Endpoint, openGet, type RequestSettings } from '../../http-json.js';
import { MetadataError, type ProviderEventHandlers, type SkipCounter } from '../../provider.js';
import { Backoff } from './backoff.js';
import { EVENTS_PATH, EventInterpreter } from './events.js';
import { LineSplitter } from './line-splitter.js';

/** Far above any real event (a container's labels ride along), far below trouble. */
export const MAX_EVENT_LINE_LENGTH = 1024 * 1024;

export interface EventStreamOptions {
  endpoint: Endpoint;
  settings: RequestSettings;
  reconnectMs: { min: number; max: number };
  onSkipped?: SkipCounter;
  /** Every container event, before the handlers hear of it (the inspect cache drops the container). */
  onContainerEvent?: (containerId: string) => void;
}

function asMetadataError(error: unknown): MetadataError {
  if (error instanceof MetadataError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MetadataError('connect', `event stream failed: ${message}`, { cause: error });
}

/** Streams events into handlers until the returned function is called. */
export function watchDockerEvents(options: EventStreamOptions, handlers: ProviderEventHandlers): () => void {
  const backoff = new Backoff(options.reconnectMs.min, options.reconnectMs.max);
  // A stream that stayed up as long as the longest wait was healthy: start the next wait over.
  const healthyAfterMs = options.reconnectMs.max;
  const interpreter = new EventInterpreter();
  let stopped = false;
  let attempts = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let connecting: AbortController | undefined;
  let stream: IncomingMessage | undefined;

  const skipMalformed = () => options.onSkipped?.('malformed_event');

  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    const outcome = interpreter.interpret(line);
    if (outcome.kind === 'malformed') skipMalformed();
    if (outcome.kind !== 'changed' && outcome.kind !== 'observe') return;
    options.onContainerEvent?.(outcome.containerId);
    if (outcome.kind === 'changed') handlers.changed();
    else handlers.observe(outcome.observation);
  };

  const fail = (error: unknown): void => {
    if (stopped) return;
    handlers.error(asMetadataError(error));
    reconnectTimer = setTimeout(connect, backoff.next());
    reconnectTimer.unref();
  };

  const follow = (response: IncomingMessage): void => {
    stream = response;
    const openedAt = performance.now();
    const lines = new LineSplitter(MAX_EVENT_LINE_LENGTH, skipMalformed);
    let streamError: unknown;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        if (stopped) return;
        handleLine(line);
      }
    });
    response.on('error', (error) => {
      streamError = error;
    });
    response.on('close', () => {
      stream = undefined;
      if (performance.now() - openedAt >= healthyAfterMs) backoff.reset();
      fail(streamError ?? new MetadataError('connect', 'the event stream ended'));
    });
  };

  function connect(): void {
    if (stopped) return;
    attempts++;
    const controller = new AbortController();
    connecting = controller;
    openGet(options.endpoint, EVENTS_PATH, options.settings, controller.signal).then(
      (response) => {
        connecting = undefined;
        if (stopped) {
          response.destroy();
          return;
        }
        follow(response);
        // Events may have been missed while there was no stream: have the caller look again.
        if (attempts > 1) handlers.changed();
      },
      (error: unknown) => {
        connecting = undefined;
        fail(error);
      },
    );
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(reconnectTimer);
    connecting?.abort();
    stream?.destroy();
  };
}
