/** prom-client metrics whose value is read from a function at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A counter registered on `registry` that reports `value()` on every scrape. */
export function collectedCounter(
  registry: Registry,
  name: string,
  help: string,
  value: () => number,
): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(value());
    },
  });
}

/** A gauge registered on `registry` that is set to `value()` on every scrape. */
export function collectedGauge(registry: Registry, name: string, help: string, value: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}
