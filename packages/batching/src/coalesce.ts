// Group commit. A consumer handles the batches of several partitions at once; each would cost its
// own database transaction (or offset commit, or parking lookup) of the same few round trips,
// and on a small machine those round trips are the cost (docs/performance.md). Items submitted
// while a call is in flight wait and go together into the next call: a lone item starts at
// once, N concurrent ones cost one or two calls instead of N.

export interface CoalesceOptions<T> {
  /** the most weight one call takes (an item heavier than that still goes, alone); default ∞ */
  maxWeight?: number;
  weight?: (item: T) => number;
}

/** `run` gets the items gathered since the previous call started, in submission order, and
 *  answers one result per item (or throws: every item of the call then rejects with that error). */
export function coalesce<T, R>(
  run: (items: T[]) => Promise<R[]>,
  opts: CoalesceOptions<T> = {},
): (item: T) => Promise<R> {
  const maxWeight = opts.maxWeight ?? Infinity;
  const weight = opts.weight ?? (() => 1);
  const queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let pumping = false;

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      let take = 1;
      let total = weight(queue[0]!.item);
      while (take < queue.length && total + weight(queue[take]!.item) <= maxWeight)
        total += weight(queue[take++]!.item);
      const group = queue.splice(0, take);
      try {
        const results = await run(group.map((g) => g.item));
        for (const [i, g] of group.entries()) g.resolve(results[i]!);
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
    pumping = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (pumping) return;
      pumping = true;
      // items submitted in the same turn of the event loop (the batches of one fetch) start together
      setImmediate(() => void pump());
    });
}

/** Group commit where one bad item must not fail the others: the gathered items go to `run`
 *  together; when that fails for anything but a failure every item would meet alike (`shared`,
 *  an outage say), each item is run alone, in order, so an item fails only for its own reasons.
 *  `run` may answer one result per item (what the combined statement said of each). */
export function groupCommit<T, R = void>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a `run` with no answers is an async function returning nothing, whose Promise<void> is not a Promise<undefined>
  run: (items: T[]) => Promise<R[] | void>,
  opts: CoalesceOptions<T> & { shared: (error: unknown) => boolean },
): (item: T) => Promise<R> {
  const submit = coalesce<T, { value?: R | undefined; error?: unknown }>(async (items) => {
    try {
      const values = await run(items);
      return items.map((_, i) => ({ value: values?.[i] }));
    } catch (error) {
      if (items.length === 1 || opts.shared(error)) return items.map(() => ({ error }));
      const results: { value?: R | undefined; error?: unknown }[] = [];
      for (const item of items)
        results.push(
          await run([item]).then(
            (v) => ({ value: v?.[0] }),
            (e: unknown) => ({ error: e }),
          ),
        );
      return results;
    }
  }, opts);
  return async (item) => {
    const { value, error } = await submit(item);
    if (error) throw error;
    return value as R;
  };
}
