/** A small, seeded PRNG (mulberry32): the same seed gives the same shuffles on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with an injected random source. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Inserts `count` redeliveries of random items at random places (at-least-once delivery). */
export function withRedeliveries<T>(items: readonly T[], count: number, random: () => number): T[] {
  const out = [...items];
  for (let i = 0; i < count; i += 1) {
    const copy = items[Math.floor(random() * items.length)]!;
    out.splice(Math.floor(random() * (out.length + 1)), 0, copy);
  }
  return out;
}
