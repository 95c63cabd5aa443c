/**
 * Kafka's snappy, lz4 and zstd codecs for kafkajs (lib/kafka/compression.ts): round trips,
 * batches compressed by the reference implementations, the frame headers the formats
 * prescribe, and every codec through the librdkafka mock broker both ways: the agent's
 * producer to a kafkajs consumer and to librdkafka's, and librdkafka's producer to kafkajs.
 */
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import kafkajs, { CompressionTypes, type Consumer, Kafka, logLevel } from 'kafkajs';
import snappy from 'snappyjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentProducer, type OutgoingRecord } from '../../agent/sinks/kafka/producer.js';
import {
  compressionType,
  type KafkaCodec,
  type KafkaCompression,
  lz4Codec,
  registerKafkaCodecs,
  snappyCodec,
  zstdCodec,
} from '../../lib/kafka/compression.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';

const execFile = promisify(execFileCallback);

/** Text that compresses well; the vectors below were made from the same bytes in Python. */
function sample(length: number): Buffer {
  let text = '';
  for (let i = 0; text.length < length; i++) text += `corral.metric.${i % 16}:${i % 16}|c|#node:n${i % 16}\n`;
  return Buffer.from(text.slice(0, length));
}

/**
 * Batches compressed by the reference implementations (base64), decompressed by our codecs:
 * - snappyRaw: sample(3000) by libsnappy (python3-snappy), as librdkafka writes snappy;
 * - snappyXerial: sample(33000) as snappy-java's SnappyOutputStream writes it (Kafka's Java
 *   producer): header, then 32 KiB blocks of libsnappy output, each after its big-endian length;
 * - lz4Linked: sample(70000) by liblz4's LZ4F (python3-lz4, kafka-python's defaults): linked
 *   64 KiB blocks, content size and content checksum;
 * - lz4Cli: sample(70000) by `lz4 -B4 -BX --content-size`: block checksums, content size;
 * - zstdStream: sample(2000000) by `zstd --no-content-size --check -`: no content size in the
 *   frame (as Java's zstd-jni streams write it), a content checksum;
 * - zstdTwoFrames: sample(1000) then sample(500), two frames (python3-zstandard, libzstd).
 */
const VECTORS = {
  snappyRaw: [
    'uBdwY29ycmFsLm1ldHJpYy4wOjB8Y3wjbm9kZTpuMAo2HQAIMToxGR0AMTodAAgyOjIZHQAyOh0ACDM6MxkdADM6HQAINDo0',
    'GR0ANDodAAg1OjUZHQA1Oh0ACDY6NhkdADY6HQAINzo3GR0ANzodAAg4OjgZHQA4Oh0ACDk6ORkdADk6HQAMMTA6MT0kADFC',
    'JQEIMToxLicBPigBDDEyOjE9KgAxPisBDDEzOjE9LQAxPi4BDDE0OjE9MAAxPjEBDDE1OjE9MwAxPjQB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIBMeI=',
  ],
  snappyXerial: [
    'glNOQVBQWQAAAAABAAAAAQAABriAgAJwY29ycmFsLm1ldHJpYy4wOjB8Y3wjbm9kZTpuMAo2HQAIMToxGR0AMTodAAgyOjIZ',
    'HQAyOh0ACDM6MxkdADM6HQAINDo0GR0ANDodAAg1OjUZHQA1Oh0ACDY6NhkdADY6HQAINzo3GR0ANzodAAg4OjgZHQA4Oh0A',
    'CDk6ORkdADk6HQAMMTA6MT0kADFCJQEIMToxLicBPigBDDEyOjE9KgAxPisBDDEzOjE9LQAxPi4BDDE0OjE9MAAxPjEBDDE1',
    'OjE9MwAxPjQB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB/uIB',
    '/uIB/uIB/uIBPuIBAAAAcOgBdG9kZTpuMTUKY29ycmFsLm1ldHJpYy4wOjB8Y3wjbgUeADA6HQAIMToxGR0AMTodAAgyOjIZ',
    'HQAyOh0ACDM6MxkdADM6HQAINDo0GR0ANDodAAg1OjUZHT6uAAg2OjYZHQA2OjoAGDc6N3xjfCM=',
  ],
  lz4Linked: [
    'BCJNGExAcBEBAAAAAABkxAEAAPoOY29ycmFsLm1ldHJpYy4wOjB8Y3wjbm9kZTpuMAodADYxOjEdABsxHQA2MjoyHQAbMh0A',
    'NjM6Mx0AGzMdADY0OjQdABs0HQA2NTo1HQAbNR0ANjY6Nh0AGzYdADY3OjcdABs3HQA2ODo4HQAbOB0ANjk6OR0AGzkdAEcx',
    'MDoxJAEdMSUBODE6MScBDCgBRzEyOjEqARwxKwFWMTM6MTN/ABwxLgFHMTQ6MTABHDExAUcxNToxMwEcMTQBD+IB////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '///////////////////////////////////////////2UGljLjE1GwAAAA8u/v//////////////////////aVBjfCNubwAA',
    'AAAHmpB6',
  ],
  lz4Cli: [
    'BCJNGHxAcBEBAAAAAADKwwEAAPoOY29ycmFsLm1ldHJpYy4wOjB8Y3wjbm9kZTpuMAodADYxOjEdABsxHQA2MjoyHQAbMh0A',
    'NjM6Mx0AGzMdADY0OjQdABs0HQA2NTo1HQAbNR0ANjY6Nh0AGzYdADY3OjcdABs3HQA2ODo4HQAbOB0ANjk6OR0AGzkdAEcx',
    'MDoxJAEdMSUBODE6MScBDCgBRzEyOjEqASwxMmAANzM6MS0BHDEuAUcxNDoxMAEcMTEBRzE1OjEzARwxNAEP4gH/////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////',
    '//////////////////////////////////////////ZQaWMuMTU3XqPY0QAAAPYSOjE1fGN8I25vZGU6bjE1CmNvcnJhbC5t',
    'ZXRyaWMuMDowHgAbMB0ANjE6MR0AGzEdADYyOjIdABsyHQA2MzozHQAbMx0ANjQ6NB0AGzQdACc1Oq8ADK4ANjY6NjoAGzY6',
    'ADY3OjcdABs3HQA2ODo4HQAbOB0ANjk6OR0AGzkdAEcxMDoxJAEdMSUBODE6MScBDCgBRzEyOjEqASwxMmAANzM6MS0BHDEu',
    'AUcxNDoxMAEcMTEBLzE14gH///////////////////+FUGN8I25v3UpwxAAAAAAHmpB6',
  ],
  zstdStream: [
    'KLUv/QRYbAQA0oURFaAn1+en60aI6w0A8ZElRQiFyt+3YnpSR+pH3ejqxdZujM3Weim1SumE0OicjzEbXUApJgZGETjcUS7E',
    'Ed6BMJCC4D3DBSAgQGMkPQ3+5XO4ia7NBtFAd0aDYqALk0Eu0W1p0MoIUMENivOexLTf2+h3m/3eRr/b7Nc2+t1mv7bR7zb7',
    'ddsIyNUJTAAACGMBAPz/ORACTAAACGMBAPz/ORACTAAACGMBAPz/ORACTAAACGMBAPz/ORACTAAACGMBAPz/ORACTAAACGMB',
    'APz/ORACTAAACG4BAPz/ORACTAAACGQBAPz/ORACTAAACCMBAPz/ORACTAAACHwBAPz/ORACTAAACDQBAPz/ORACTAAACGkB',
    'APz/ORACTAAACGUBAPz/ORACTAAACGwBAPz/ORACTQAACHIBAHwEHQgBKzW+Dg==',
  ],
  zstdTwoFrames: [
    'KLUv/QAAJQQA8oUSF5Cn6fMDbraqZf3MPJ1NhOy9V3N8BytOmT0RO971M+vW9raXpnRCaHTOx5hN5ok43n1mW3sBpZgYGEXg',
    'UEe5EEVYB8JACoK1DBUgINCb1fXlKvRrEHQNQtcgdBsk6A4yCCXnPYmp3230u02/2/R7m3636Xcb/W7T7zb98jYC8nYCKLUv',
    '/WD0AJUEADJGExigJ+nnz9yNENcSVY0iEULI3nvbm4DBuAJJXZk9ETve9TPr1t5WryI0OudjzKaUS+aJON59Zlt7AWVcDA4j',
    'kKSkLiIRkENhIAoCBDlSHwCgC2AQQBcYBNAFBgF0hxq6skhQWW5Q1rxCwQo6A5sDXYBtQL9gG9Av2Ab0C7YB/YJtQL9gG9Av',
    '2Ab0C7YRkJUT',
  ],
};

const vector = (name: keyof typeof VECTORS) => Buffer.from(VECTORS[name].join(''), 'base64');

const CODECS: [string, KafkaCodec, CompressionTypes][] = [
  ['snappy', snappyCodec, CompressionTypes.Snappy],
  ['lz4', lz4Codec, CompressionTypes.LZ4],
  ['zstd', zstdCodec, CompressionTypes.ZSTD],
];

/** kafkajs's own lookup, as its producer and consumer do it. */
function kafkajsCodec(type: CompressionTypes): KafkaCodec {
  return (kafkajs.CompressionCodecs as Record<number, () => KafkaCodec>)[type]!();
}

describe('kafka compression codecs', () => {
  beforeAll(() => registerKafkaCodecs());

  it('maps every kafka.compression value to its kafkajs type, and registers once', () => {
    const types: Record<KafkaCompression, CompressionTypes> = {
      gzip: CompressionTypes.GZIP,
      lz4: CompressionTypes.LZ4,
      snappy: CompressionTypes.Snappy,
      zstd: CompressionTypes.ZSTD,
      none: CompressionTypes.None,
    };
    for (const [name, type] of Object.entries(types))
      expect(compressionType(name as KafkaCompression)).toBe(type);
    registerKafkaCodecs();
    for (const [, codec, type] of CODECS) expect(kafkajsCodec(type)).toBe(codec);
  });

  it.each(CODECS)(
    '%s: round trips through kafkajs, empty to several blocks, compressible or not',
    async (_, __, type) => {
      const codec = kafkajsCodec(type);
      for (const input of [
        Buffer.alloc(0),
        Buffer.from('x'),
        sample(1000),
        sample(300_000),
        randomBytes(100_000),
        Buffer.concat([randomBytes(40_000), sample(100_000), randomBytes(70_000)]),
      ]) {
        const compressed = await codec.compress({ buffer: input });
        expect(Buffer.isBuffer(compressed)).toBe(true);
        const output = await codec.decompress(compressed);
        expect(Buffer.isBuffer(output)).toBe(true);
        expect(output.equals(input)).toBe(true);
      }
      expect((await codec.compress({ buffer: sample(300_000) })).length).toBeLessThan(30_000);
    },
  );

  it('snappy: writes xerial framing in 32 KiB blocks (snappy-java), reads it and raw snappy', async () => {
    const input = sample(100_000);
    const framed = await snappyCodec.compress({ buffer: input });
    // "\x82SNAPPY\0", version 1, minimum compatible version 1.
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e4150505900' + '00000001' + '00000001');
    const blocks: Buffer[] = [];
    for (let offset = 16; offset < framed.length; ) {
      const length = framed.readUInt32BE(offset);
      blocks.push(snappy.uncompress(framed.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    expect(blocks.map((b) => b.length)).toEqual([32_768, 32_768, 32_768, 1_696]);
    expect(Buffer.concat(blocks).equals(input)).toBe(true);

    expect((await snappyCodec.decompress(vector('snappyRaw'))).equals(sample(3000))).toBe(true);
    expect((await snappyCodec.decompress(vector('snappyXerial'))).equals(sample(33_000))).toBe(true);
    // Concatenated streams (snappy-java reads them): the header again between blocks.
    const twice = Buffer.concat([vector('snappyXerial'), vector('snappyXerial')]);
    expect(
      (await snappyCodec.decompress(twice)).equals(Buffer.concat([sample(33_000), sample(33_000)])),
    ).toBe(true);
    await expect(snappyCodec.decompress(framed.subarray(0, framed.length - 1))).rejects.toThrow(/truncated/);
    await expect(snappyCodec.decompress(framed.subarray(0, 18))).rejects.toThrow(/truncated/);
  });

  it('lz4: writes frames of independent blocks without checksums (Java), reads linked and checksummed ones', async () => {
    for (const [length, bd, hc] of [
      [1000, 0x40, 0x82],
      [100_000, 0x50, 0xfb],
      [300_000, 0x70, 0x73],
    ] as const) {
      const frame = await lz4Codec.compress({ buffer: sample(length) });
      // Magic 0x184D2204 (LE), FLG: version 01, block independence, no checksums, no content
      // size; BD: 64 KiB / 256 KiB / 4 MiB blocks; HC: the descriptor's xxh32 >> 8 (as lz4 computes it).
      expect([...frame.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, bd, hc]);
      expect(frame.subarray(-4).readUInt32LE()).toBe(0); // EndMark, no content checksum after it
    }
    expect((await lz4Codec.decompress(vector('lz4Linked'))).equals(sample(70_000))).toBe(true);
    expect((await lz4Codec.decompress(vector('lz4Cli'))).equals(sample(70_000))).toBe(true);
    const corrupt = Buffer.from(vector('lz4Linked'));
    corrupt[corrupt.length - 1]! ^= 0xff; // the content checksum
    await expect(lz4Codec.decompress(corrupt)).rejects.toThrow();
    await expect(lz4Codec.decompress(Buffer.from('not lz4'))).rejects.toThrow();
  });

  it('zstd: writes a zstd frame, reads streamed frames without content size and several frames', async () => {
    const frame = await zstdCodec.compress({ buffer: sample(10_000) });
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528); // zstd frame magic
    // No content size, 2 MB: beyond the 1 MiB the wasm decoder would guess.
    expect((await zstdCodec.decompress(vector('zstdStream'))).equals(sample(2_000_000))).toBe(true);
    expect(
      (await zstdCodec.decompress(vector('zstdTwoFrames'))).equals(
        Buffer.concat([sample(1000), sample(500)]),
      ),
    ).toBe(true);
    await expect(zstdCodec.decompress(Buffer.from('not zstd'))).rejects.toThrow();
  });
});

/**
 * A librdkafka client for the tests (librdkafka-dev, as for the mock broker), on partition 0:
 *   rdkafka_client produce <bootstrap> <topic> <codec>   one message per stdin line (hex)
 *   rdkafka_client consume <bootstrap> <topic> <count>   the first count values, hex, one a line
 * librdkafka writes raw snappy, LZ4 frames and zstd frames, and reads every Kafka client's.
 */
const RDKAFKA_CLIENT_C = String.raw`
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>

static int failed_deliveries;

static void die(const char *what, const char *why) {
  fprintf(stderr, "%s: %s\n", what, why);
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die(key, err);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    fprintf(stderr, "delivery: %s\n", rd_kafka_err2str(m->err));
    failed_deliveries++;
  }
}

static int nibble(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int produce(rd_kafka_conf_t *conf, const char *topic, const char *codec) {
  char err[512];
  set(conf, "compression.codec", codec);
  set(conf, "linger.ms", "50");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  char *line = NULL;
  size_t capacity = 0;
  ssize_t n;
  while ((n = getline(&line, &capacity, stdin)) > 0) {
    size_t len = 0;
    for (ssize_t i = 0; i + 1 < n && line[i] != '\n'; i += 2) line[len++] = (char)(nibble(line[i]) << 4 | nibble(line[i + 1]));
    rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                              RD_KAFKA_V_VALUE(line, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                              RD_KAFKA_V_END);
    if (e) die("produce", rd_kafka_err2str(e));
    rd_kafka_poll(rk, 0);
  }
  free(line);
  if (rd_kafka_flush(rk, 10000)) die("flush", "timed out");
  rd_kafka_destroy(rk);
  return failed_deliveries ? 1 : 0;
}

static int consume(rd_kafka_conf_t *conf, const char *topic, long count) {
  char err[512];
  set(conf, "group.id", "corral-compression-test");
  set(conf, "enable.auto.commit", "false");
  set(conf, "isolation.level", "read_uncommitted");
  set(conf, "check.crcs", "true");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *partitions = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(partitions, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions);
  if (e) die("assign", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(partitions);
  for (long got = 0; got < count;) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10000);
    if (!m) die("consume", "no message within 10 s");
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err) die("consume", rd_kafka_message_errstr(m));
    const unsigned char *p = m->payload;
    for (size_t i = 0; i < m->len; i++) printf("%02x", p[i]);
    putchar('\n');
    got++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) die("usage", "rdkafka_client produce|consume <bootstrap> <topic> <codec|count>");
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[2]);
  if (strcmp(argv[1], "produce") == 0) return produce(conf, argv[3], argv[4]);
  return consume(conf, argv[3], atol(argv[4]));
}
`;

const KAFKA_CODECS: KafkaCompression[] = ['gzip', 'lz4', 'snappy', 'zstd', 'none'];

describe('compressed batches through Kafka (librdkafka mock broker)', () => {
  const prefix = `corral-compression-${process.pid}-${Date.now().toString(36)}`;
  const topic = (from: string, codec: string) => `${prefix}.${from}-${codec}`;
  const received = new Map<string, Buffer[]>();
  let broker: KafkaBroker;
  let consumer: Consumer;
  let workDir = '';
  let rdkafkaClient = '';

  beforeAll(async () => {
    // What the collector does before it consumes.
    registerKafkaCodecs();
    workDir = mkdtempSync(join(tmpdir(), 'corral-compression-'));
    rdkafkaClient = join(workDir, 'rdkafka_client');
    writeFileSync(`${rdkafkaClient}.c`, RDKAFKA_CLIENT_C);
    await execFile(process.env.CC || 'cc', ['-O2', '-o', rdkafkaClient, `${rdkafkaClient}.c`, '-lrdkafka']);
    broker = await startKafkaBroker();
    const topics = [
      ...KAFKA_CODECS.flatMap((codec) => [topic('agent', codec), topic('rdkafka', codec)]),
      topic('agent', 'split'),
    ];
    for (const name of topics) await broker.createTopic(name, 1, 1);
    const kafka = new Kafka({
      clientId: 'corral-test',
      brokers: broker.bootstrap,
      logLevel: logLevel.NOTHING,
    });
    // One consumer for every topic: the mock makes a group's first join take ~3 s.
    consumer = kafka.consumer({ groupId: `${prefix}-group`, maxWaitTimeInMs: 100, readUncommitted: true });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: name, message }) => {
        received.set(name, [...(received.get(name) ?? []), message.value ?? Buffer.alloc(0)]);
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await broker?.stop();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  /** Small values, several lz4 and snappy blocks, and incompressible bytes: one batch. */
  const values = (codec: string) => [
    ...Array.from({ length: 40 }, (_, i) => Buffer.from(`${codec} value ${i}`)),
    sample(200_000),
    randomBytes(50_000),
    Buffer.from(`${codec} last`),
  ];

  const consumed = (name: string, count: number) =>
    expect.poll(() => received.get(name)?.length ?? 0, { timeout: 20_000 }).toBe(count);

  const ours: Partial<Record<KafkaCompression, KafkaCodec>> = {
    lz4: lz4Codec,
    snappy: snappyCodec,
    zstd: zstdCodec,
  };
  /** Spies on the codec's compress and decompress, so a test sees the batches went through it. */
  const spyOn = (codec: KafkaCompression) => {
    const target = ours[codec];
    return target && { compress: vi.spyOn(target, 'compress'), decompress: vi.spyOn(target, 'decompress') };
  };
  afterEach(() => vi.restoreAllMocks());

  /** Sends the records as the agent does, in one transaction, and disconnects. */
  async function sendAsAgent(
    transactionalId: string,
    compression: KafkaCompression,
    records: OutgoingRecord[],
    maxRequestBytes = 1_000_000,
  ): Promise<void> {
    const producer = new AgentProducer({
      brokers: broker.bootstrap,
      clientId: 'corral-test',
      transactionalId,
      compression,
      maxRequestBytes,
      tls: { enabled: false, caFile: '', certFile: '', keyFile: '' },
      sasl: { mechanism: 'none', username: '', passwordFile: '' },
      requestTimeoutMs: 5000,
    });
    try {
      await producer.send(records);
    } finally {
      await producer.disconnect();
    }
  }

  it.each(KAFKA_CODECS)('%s: the agent producer -> kafkajs and librdkafka consumers', async (codec) => {
    const name = topic('agent', codec);
    const sent = values(codec);
    const spy = spyOn(codec);
    const records: OutgoingRecord[] = sent.map((value, i) => ({
      topic: name,
      key: Buffer.from(`key-${i % 3}`),
      value,
      timeMs: Date.now(),
    }));
    await sendAsAgent(`${prefix}-${codec}`, codec, records);
    await consumed(name, sent.length);
    expect(received.get(name)!.map((v) => v.toString('hex'))).toEqual(sent.map((v) => v.toString('hex')));
    if (spy) {
      expect(spy.compress).toHaveBeenCalled();
      expect(spy.decompress).toHaveBeenCalled();
    }
    const { stdout } = await execFile(
      rdkafkaClient,
      ['consume', broker.bootstrap.join(','), name, String(sent.length)],
      { maxBuffer: 64 << 20, timeout: 20_000 },
    );
    expect(stdout.trimEnd().split('\n')).toEqual(sent.map((v) => v.toString('hex')));
  });

  it('sends a transaction of more than maxRequestBytes as several requests, in order', async () => {
    const name = topic('agent', 'split');
    const spy = spyOn('lz4')!;
    // 60 records of 1,032 bytes with their framing: 9 fit in 10,000, so 7 requests.
    const records: OutgoingRecord[] = Array.from({ length: 60 }, (_, i) => ({
      topic: name,
      key: Buffer.from(`k${String(i).padStart(2, '0')}`),
      value: Buffer.from(`${i}:`.padEnd(996, 'x')),
      timeMs: Date.now(),
    }));
    await sendAsAgent(`${prefix}-split`, 'lz4', records, 10_000);
    await consumed(name, records.length);
    expect(received.get(name)!.map((v) => v.toString())).toEqual(records.map((r) => r.value.toString()));
    // One partition: one lz4 record batch per request.
    expect(spy.compress).toHaveBeenCalledTimes(7);
  });

  it.each(KAFKA_CODECS)('%s: librdkafka producer -> kafkajs consumer', async (codec) => {
    const name = topic('rdkafka', codec);
    const sent = values(codec);
    const spy = spyOn(codec);
    const child = execFile(rdkafkaClient, ['produce', broker.bootstrap.join(','), name, codec], {
      timeout: 20_000,
    });
    child.child.stdin!.end(sent.map((v) => `${v.toString('hex')}\n`).join(''));
    await child;
    await consumed(name, sent.length);
    expect(received.get(name)!.map((v) => v.toString('hex'))).toEqual(sent.map((v) => v.toString('hex')));
    if (spy) expect(spy.decompress).toHaveBeenCalled();
  });
});

describe('lz4 memory', () => {
  /** A child node (the compiled module, as the CLI runs it) decompressing a 2 MiB frame `rounds` times. */
  function lz4Child(
    rounds: number,
    env: Record<string, string> = {},
  ): { purgeDelay: string; grownMb: number } {
    const module = pathToFileURL(join(import.meta.dirname, '../../dist/lib/kafka/compression.js')).href;
    const script = `
      const { lz4Codec } = await import(${JSON.stringify(module)});
      let text = '';
      for (let i = 0; text.length < 2 * 1024 * 1024; i++) text += 'http.latency.' + (i % 620) + ':' + Math.random() + '|ms\\n';
      const frame = await lz4Codec.compress({ buffer: Buffer.from(text) });
      await lz4Codec.decompress(frame);
      gc();
      const before = process.memoryUsage.rss();
      for (let i = 0; i < ${rounds}; i++) {
        await lz4Codec.decompress(frame);
        if (i % 5 === 4) gc();
      }
      gc();
      console.log(JSON.stringify({
        purgeDelay: process.env.MIMALLOC_PURGE_DELAY,
        grownMb: (process.memoryUsage.rss() - before) / 1048576,
      }));`;
    const { MIMALLOC_PURGE_DELAY: _, ...inherited } = process.env;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...inherited, ...env },
    });
    return JSON.parse(out);
  }

  it("gives lz4-napi's freed memory back to the system (mimalloc's purge delay 0)", () => {
    // The same work with mimalloc keeping freed pages, as it does by default: alone on this
    // machine it grew the process by about 410 MB, and by 30 MB given back (70-140 MB when the
    // machine is busy, against 290-350).
    const kept = lz4Child(400, { MIMALLOC_PURGE_DELAY: '1000' });
    const { purgeDelay, grownMb } = lz4Child(400);
    expect(purgeDelay).toBe('0');
    expect(kept.grownMb).toBeGreaterThan(200);
    expect(grownMb).toBeLessThan(kept.grownMb * 0.6);
  });

  it("keeps the operator's own purge delay", () => {
    expect(lz4Child(1, { MIMALLOC_PURGE_DELAY: '250' }).purgeDelay).toBe('250');
  });
});

describe('loading a codec at start', () => {
  afterEach(() => {
    vi.doUnmock('lz4-napi');
    vi.resetModules();
  });

  it('loads lz4 and zstd now, and needs nothing for the others', async () => {
    const { loadCompressionCodec } = await import('../../lib/kafka/compression.js');
    for (const codec of KAFKA_CODECS) await expect(loadCompressionCodec(codec)).resolves.toBeUndefined();
  });

  it('fails as a config error naming kafka.compression when the module cannot be loaded', async () => {
    vi.resetModules();
    // As lz4-napi's loader fails on a platform without a prebuilt binary.
    vi.doMock('lz4-napi', () => ({
      get default(): never {
        throw new Error('no lz4-napi binary for this platform');
      },
    }));
    const { loadCompressionCodec } = await import('../../lib/kafka/compression.js');
    const { ConfigError } = await import('../../lib/config/errors.js');
    const failure = await loadCompressionCodec('lz4').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as InstanceType<typeof ConfigError>).key).toBe('kafka.compression');
    expect((failure as Error).message).toMatch(
      /^kafka\.compression: lz4 cannot be loaded on this machine \(.*no lz4-napi binary/,
    );
  });
});
