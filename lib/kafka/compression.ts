/**
 * Kafka's batch compression codecs for kafkajs, which ships gzip only. Registered into kafkajs's
 * process-wide `CompressionCodecs`, so they serve every producer and consumer of the process:
 * the agent produces with them; a consumer (the collector's) reads what any Kafka client wrote.
 *
 * - snappy: written with xerial framing, as the Java client writes it (every client reads it);
 *   read framed or raw (librdkafka, sarama and kafkajs-snappy write raw snappy). snappyjs, pure JS.
 * - lz4: the LZ4 frame format with independent blocks and no checksums, as Java writes it (Java
 *   rejects dependent blocks); lz4_flex sizes blocks to the batch (64 KiB, 256 KiB or 4 MiB, all
 *   in the spec). Read with any block size, linked blocks, block and content checksums, content size.
 *   lz4-napi (lz4_flex, prebuilt binaries, no install script): lz4js, the pure-JS one, writes
 *   full blocks the reference decoder rejects and does not mark its blocks independent.
 * - zstd: one frame at level 3 (Kafka's default), with @bokuweb/zstd-wasm; read with fzstd (pure
 *   JS), which also takes frames without a content size (Java's zstd-jni streams write those),
 *   several frames, and any size; the wasm decoder fails on those beyond 1 MiB.
 *
 * The wasm and native modules load on first use, so a process that never sees lz4 or zstd
 * never loads them.
 */
import { decompress as fzstdDecompress } from 'fzstd';
import kafkajs, { CompressionTypes } from 'kafkajs';
import snappy from 'snappyjs';
import { ConfigError } from '../config/errors.js';

// kafkajs is CommonJS, and Node's named-export detection stops before CompressionCodecs.
const { CompressionCodecs } = kafkajs;

/** The `kafka.compression` values. */
export type KafkaCompression = 'gzip' | 'lz4' | 'snappy' | 'zstd' | 'none';

/** kafkajs's codec contract (src/protocol/message/compression): the encoder's bytes in, Buffers out. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Kafka's zstd default (compression.zstd.level); zstd's own default too. */
const ZSTD_LEVEL = 3;

/** xerial snappy-java's stream header: magic, version 1, minimum compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's SnappyOutputStream default block, which Kafka's Java producer uses. */
const XERIAL_BLOCK = 32 * 1024;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isXerial(buffer: Buffer): boolean {
  return (
    buffer.length >= XERIAL_HEADER.length && XERIAL_MAGIC.equals(buffer.subarray(0, XERIAL_MAGIC.length))
  );
}

/** xerial framing: the header, then per block of input a 4-byte big-endian length and raw snappy. */
export function snappyXerialCompress(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let offset = 0; offset < input.length; offset += XERIAL_BLOCK) {
    const block = snappy.compress(input.subarray(offset, offset + XERIAL_BLOCK));
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** xerial-framed (Java) or raw (librdkafka, sarama, kafkajs-snappy) snappy. */
export function snappyDecompress(input: Buffer): Buffer {
  if (!isXerial(input)) return snappy.uncompress(input);
  const blocks: Buffer[] = [];
  let offset = XERIAL_HEADER.length;
  while (offset < input.length) {
    // snappy-java reads concatenated streams: a header may come again between blocks.
    if (isXerial(input.subarray(offset))) {
      offset += XERIAL_HEADER.length;
      continue;
    }
    if (offset + 4 > input.length) throw new Error('snappy: truncated xerial block length');
    const length = input.readUInt32BE(offset);
    offset += 4;
    if (offset + length > input.length) throw new Error('snappy: truncated xerial block');
    blocks.push(snappy.uncompress(input.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(blocks);
}

/** Memoizes an async load, forgetting a failed one so the next use tries again. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/**
 * lz4-napi's Rust code allocates with mimalloc, which keeps the pages it frees for its threads
 * (here libuv's pool) to reuse instead of giving them back: an agent compressing its flushes
 * held 60-100 MB more than with gzip, and 400 decompressions of a 2 MiB frame grew a process by
 * 410 MB (30 MB with the pages given back; docs/benchmarks.md). A purge delay of 0 gives freed
 * pages back at once, for a little system time. mimalloc reads its options as the module loads,
 * so this comes before the import; a value the operator set is kept.
 */
function returnFreedMemoryAtOnce(): void {
  process.env.MIMALLOC_PURGE_DELAY ??= '0';
}

const lz4 = lazy(async () => {
  returnFreedMemoryAtOnce();
  return (await import('lz4-napi')).default;
});

const zstd = lazy(async () => {
  const module = (await import('@bokuweb/zstd-wasm')).default;
  await module.init();
  return module;
});

export const snappyCodec: KafkaCodec = {
  compress: async (encoder) => snappyXerialCompress(encoder.buffer),
  decompress: async (buffer) => snappyDecompress(buffer),
};

export const lz4Codec: KafkaCodec = {
  // lz4_flex's default frame: independent blocks, no checksums (Java's KafkaLZ4BlockOutputStream's).
  compress: async (encoder) => (await lz4()).compressFrame(encoder.buffer),
  decompress: async (buffer) => (await lz4()).decompressFrame(buffer),
};

export const zstdCodec: KafkaCodec = {
  compress: async (encoder) => asBuffer((await zstd()).compress(encoder.buffer, ZSTD_LEVEL)),
  decompress: async (buffer) => asBuffer(fzstdDecompress(buffer)),
};

/**
 * Loads the native or wasm module a codec needs now, so that a machine without it (no lz4-napi
 * binary for its platform) fails at start with the setting named, not at every send.
 */
export async function loadCompressionCodec(compression: KafkaCompression): Promise<void> {
  try {
    if (compression === 'lz4') await lz4();
    else if (compression === 'zstd') await zstd();
  } catch (error) {
    throw new ConfigError(
      'kafka.compression',
      `kafka.compression: ${compression} cannot be loaded on this machine (${(error as Error).message}); gzip, snappy and none need no native code`,
    );
  }
}

let registered = false;

/** Puts the snappy, lz4 and zstd codecs into kafkajs (gzip is its own). Safe to call again. */
export function registerKafkaCodecs(): void {
  if (registered) return;
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
  registered = true;
}

/** The kafkajs compression type of a `kafka.compression` value, its codec registered. */
export function compressionType(compression: KafkaCompression): CompressionTypes {
  registerKafkaCodecs();
  switch (compression) {
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'zstd':
      return CompressionTypes.ZSTD;
    case 'none':
      return CompressionTypes.None;
  }
}
