-- corral_sketch_quantile(q, accuracy, positive, negative, zero): the q-quantile (0..1) of a
-- DDSketch given as bins (the sketch_* columns, or their sumMap over any window), nearest
-- rank as the agent computes it, so within `accuracy` of the true value, relative to it;
-- nan when the bins are empty. Functions are server-wide, not per database: the name
-- carries the project's prefix, and the definition only ever changes in a new migration.
--
--   gamma = (1 + accuracy) / (1 - accuracy); bin k stands for 2 * gamma^k / (gamma + 1)
--   values ascending: negative bins by descending index, then zero, then positive bins
--   cum = cumulative weights in that order; total = its last (largest) element
--   rank = max(1, ceil((q - 1e-9) * total)), capped at total (float rounding)
--   the answer is the first value whose cumulative weight reaches the rank
-- A function body is one expression, without variables, so cum is spelled out where it is
-- used; ClickHouse computes identical subexpressions once.
CREATE OR REPLACE FUNCTION corral_sketch_quantile ${on_cluster} AS (q, accuracy, positive, negative, zero) ->
  if(
    arrayMax(arrayCumSum(arrayConcat(
      arrayReverseSort((w, k) -> k, mapValues(negative), mapKeys(negative)),
      [toFloat64(zero)],
      arraySort((w, k) -> k, mapValues(positive), mapKeys(positive))))) <= 0,
    nan,
    arrayElement(
      arrayConcat(
        arrayMap(
          k -> -2 * pow((1 + accuracy) / (1 - accuracy), k) / ((1 + accuracy) / (1 - accuracy) + 1),
          arrayReverseSort(mapKeys(negative))),
        [0.],
        arrayMap(
          k -> 2 * pow((1 + accuracy) / (1 - accuracy), k) / ((1 + accuracy) / (1 - accuracy) + 1),
          arraySort(mapKeys(positive)))),
      arrayFirstIndex(
        c -> c >= least(
          arrayMax(arrayCumSum(arrayConcat(
            arrayReverseSort((w, k) -> k, mapValues(negative), mapKeys(negative)),
            [toFloat64(zero)],
            arraySort((w, k) -> k, mapValues(positive), mapKeys(positive))))),
          greatest(1, ceil((q - 1e-9) * arrayMax(arrayCumSum(arrayConcat(
            arrayReverseSort((w, k) -> k, mapValues(negative), mapKeys(negative)),
            [toFloat64(zero)],
            arraySort((w, k) -> k, mapValues(positive), mapKeys(positive)))))))),
        arrayCumSum(arrayConcat(
          arrayReverseSort((w, k) -> k, mapValues(negative), mapKeys(negative)),
          [toFloat64(zero)],
          arraySort((w, k) -> k, mapValues(positive), mapKeys(positive)))))));
