/**
 * The kafkajs client configuration from the `kafka.*` settings: brokers, timeouts, TLS and SASL
 * with their files read now. Shared by the agent's producer and the collector's consumer and
 * dead-letter producer, so both sides connect the same way.
 */
import { type KafkaConfig, logLevel, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { CorralConfig } from '../config/schema.js';
import { readSettingFile } from '../config/setting-file.js';

export interface KafkaClientSettings {
  brokers: string[];
  clientId: string;
  /** PEM files; "" for none. TLS is on when any is set or tls is true. */
  tls: { enabled: boolean; caFile: string; certFile: string; keyFile: string };
  sasl: {
    mechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    passwordFile: string;
  };
  /** Per request; also bounds connecting. */
  requestTimeoutMs: number;
}

/** The client settings of the `kafka` section, under `clientId`. */
export function kafkaClientSettings(kafka: CorralConfig['kafka'], clientId: string): KafkaClientSettings {
  return {
    brokers: kafka.brokers,
    clientId,
    requestTimeoutMs: kafka.requestTimeout,
    tls: {
      enabled: kafka.tls === 'on',
      caFile: kafka.tlsCaFile,
      certFile: kafka.tlsCertFile,
      keyFile: kafka.tlsKeyFile,
    },
    sasl: {
      mechanism: kafka.saslMechanism,
      username: kafka.saslUsername,
      passwordFile: kafka.saslPasswordFile,
    },
  };
}

/**
 * The kafkajs client configuration, TLS and SASL files read now (unreadable: config error).
 * `retry` defaults to a couple of quick retries: callers retry on their own terms (the agent
 * through its spool, the collector by not committing).
 */
export function kafkaConfig(settings: KafkaClientSettings, retry?: RetryOptions): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
    retry: retry ?? { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  };
  const { tls } = settings;
  const ca = readSettingFile('kafka.tlsCaFile', tls.caFile);
  const cert = readSettingFile('kafka.tlsCertFile', tls.certFile);
  const key = readSettingFile('kafka.tlsKeyFile', tls.keyFile);
  if (tls.enabled || ca !== undefined || cert !== undefined) {
    config.ssl = { ca: ca === undefined ? undefined : [ca], cert, key, rejectUnauthorized: true };
  }
  const { sasl } = settings;
  if (sasl.mechanism !== 'none') {
    const password = readSettingFile('kafka.saslPasswordFile', sasl.passwordFile) ?? '';
    config.sasl = {
      mechanism: sasl.mechanism,
      username: sasl.username,
      password: password.trim(),
    } as SASLOptions;
  }
  return config;
}
