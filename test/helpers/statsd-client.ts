import { StatsD } from 'hot-shots';

/** hot-shots on loopback over UDP; a send error fails the test instead of being swallowed. */
export function statsdClient(port: number): StatsD {
  return new StatsD({
    host: '127.0.0.1',
    port,
    errorHandler: (e) => {
      throw e;
    },
  });
}
