import { describe, expect, it, vi } from 'vitest';
import { startSandbox } from './startSandbox.ts';

// A production install has no devDependencies: the anvil binary is missing.
vi.mock('./evm/anvil.ts', async (original) => ({
  ...(await original<typeof import('./evm/anvil.ts')>()),
  anvilBinary: () => undefined,
}));

describe('startSandbox', () => {
  it('behavior: without the anvil binary it starts the emulators, warns once and leaves EVM unconfigured', async () => {
    const sandbox = await startSandbox();
    try {
      expect(sandbox.warnings).toEqual(['sandbox: no anvil binary, the Chain page stays empty']);
      expect(sandbox.overrides.EVM_RPC_URLS).toBeUndefined();
      expect(sandbox.initialLoad).toEqual([]);
      expect(sandbox.overrides.COINGECKO_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await sandbox.close();
    }
  });
});
