import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Every test talks to real servers on port 0; give slow shared CI machines room.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
