/** Runs async jobs with at most `size` of them at once; the others wait their turn, in order. */
export interface Slots {
  run<T>(job: () => Promise<T>): Promise<T>;
}

export function createSlots(size: number): Slots {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`slots: size must be a whole number >= 1, not ${size}`);
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(job: () => Promise<T>): Promise<T> {
      if (busy >= size) await new Promise<void>((turn) => waiting.push(turn));
      else busy++;
      try {
        return await job();
      } finally {
        // The slot passes straight to the next waiter (busy stays), or is given back.
        const next = waiting.shift();
        if (next) next();
        else busy--;
      }
    },
  };
}
