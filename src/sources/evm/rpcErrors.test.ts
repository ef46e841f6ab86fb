import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { describe, expect, it } from 'vitest';
import { providerErrors } from '../../../test/fixtures/evmSamples.ts';
import { silentLogger } from '../../internal/logger.ts';
import { InconsistentReplyError, MissingReceiptError } from './rpc.ts';
import { classifyRpcError } from './rpcErrors.ts';
import { withRpcRetry } from './withRpcRetry.ts';

const URL_WITH_KEY = 'https://mainnet.example.io/v3/0123456789abcdef0123456789abcdef';
const body = [{ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0x1', true] }];
const rpcError = (error: { code: number; message: string; data?: unknown }, status?: number, headers?: Headers) =>
  new RpcRequestError({ body, error, url: URL_WITH_KEY, status, headers });
const page = (p: { status: number; body: { error: { code: number; message: string; data?: unknown } } }) =>
  rpcError(p.body.error, p.status, new Headers());

describe('classifyRpcError', () => {
  it.each([
    ['Infura HTTP 429 -32005', 'rate-limited', page(providerErrors.infura429)],
    ['Alchemy HTTP 429 code 429', 'rate-limited', page(providerErrors.alchemy429)],
    ['Tenderly -32005 rate limit', 'rate-limited', rpcError(providerErrors.tenderly)],
    ['Alchemy HTTP 403 monthly cap', 'auth', page(providerErrors.alchemy403)],
    ['-32005 more than 10000 results', 'too-large', rpcError(providerErrors.tooManyResults)],
    ['-32000 more than 10000 results', 'too-large', rpcError(providerErrors.tooManyResultsOtherCode)],
    ['Infura range limit -32602', 'too-large', rpcError(providerErrors.infuraRange)],
    ['geth batch too large -32600', 'too-large', rpcError(providerErrors.gethBatchTooLarge)],
    ['geth response too large -32003', 'too-large', rpcError(providerErrors.gethResponseTooLarge)],
    ['-32601 method missing', 'unsupported', rpcError(providerErrors.methodMissing)],
    ['4444 pruned history', 'fatal', rpcError(providerErrors.pruned)],
    ['-32602 invalid block range', 'fatal', rpcError(providerErrors.reversedRange)],
    ['-32602 range beyond the head (a node behind)', 'transient', rpcError(providerErrors.futureRange)],
    ['HTTP 413', 'too-large', new HttpRequestError({ body, status: 413, url: URL_WITH_KEY })],
    ['HTTP 502', 'transient', new HttpRequestError({ body, status: 502, url: URL_WITH_KEY })],
    [
      'dropped connection',
      'transient',
      new HttpRequestError({
        body,
        url: URL_WITH_KEY,
        cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      }),
    ],
    ['timeout', 'transient', new TimeoutError({ body, url: URL_WITH_KEY })],
    ['receipts of another block', 'transient', new InconsistentReplyError('the chain moved')],
    ['a null receipt', 'missing-receipt', new MissingReceiptError('0x12', 7)],
  ] as const)('behavior: %s is %s', (_name, kind, error) => {
    const failure = classifyRpcError(error);
    expect(failure.kind).toBe(kind);
    expect(failure.said).not.toContain('0123456789abcdef');
  });

  it('behavior: the wait a provider asks for is honoured (Retry-After, Infura backoff_seconds)', () => {
    const retryAfter = new HttpRequestError({
      body,
      status: 429,
      url: URL_WITH_KEY,
      headers: new Headers({ 'retry-after': '3' }),
    });
    expect(classifyRpcError(retryAfter).waitMs).toBe(3000);
    const infura = rpcError({
      code: -32005,
      message: 'project ID request rate exceeded',
      data: { rate: { backoff_seconds: 1.5 } },
    });
    expect(classifyRpcError(infura)).toMatchObject({ kind: 'rate-limited', waitMs: 1500 });
  });
});

describe('withRpcRetry', () => {
  const ctx = (patienceMs = 1_000) => ({
    policy: { maxRetries: 2, baseMs: 1, rateLimitPatienceMs: patienceMs },
    log: silentLogger(),
    label: 'https://mainnet.example.io/v3/0123***',
    what: 'blocks 1–2',
  });

  it('behavior: rate limits and dropped connections are waited out', async () => {
    let calls = 0;
    const result = await withRpcRetry(async () => {
      calls++;
      if (calls <= 3) throw page(providerErrors.infura429);
      if (calls <= 5) throw new HttpRequestError({ body, url: URL_WITH_KEY, cause: new TypeError('fetch failed') });
      return 'ok';
    }, ctx());
    expect(result).toBe('ok');
    expect(calls).toBe(6);
  });

  it('error: a rate limit outlasting the patience fails retryable, without the key in the message', async () => {
    const failing = withRpcRetry(async () => {
      throw rpcError({ code: -32005, message: 'rate limited', data: { rate: { backoff_seconds: 0.4 } } });
    }, ctx(1_000));
    await expect(failing).rejects.toMatchObject({ code: 'ETL_UPSTREAM_RATE_LIMITED', retryable: true });
    await expect(failing).rejects.toThrow(/still rate-limits after 3 attempts .*lower EVM_CONCURRENCY/);
    await expect(failing).rejects.not.toThrow(/0123456789abcdef/);
  });

  it('error: a node down after every retry fails as unreachable; a JSON-RPC error fails at once', async () => {
    let calls = 0;
    await expect(
      withRpcRetry(async () => {
        calls++;
        throw new HttpRequestError({ body, status: 503, url: URL_WITH_KEY });
      }, ctx()),
    ).rejects.toMatchObject({ code: 'ETL_UPSTREAM_UNREACHABLE', retryable: true });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRpcRetry(async () => {
        calls++;
        throw rpcError(providerErrors.pruned);
      }, ctx()),
    ).rejects.toMatchObject({ code: 'ETL_EVM_RPC_ERROR', retryable: false });
    expect(calls).toBe(1);
  });

  it('error: a receipt still null after every retry names the pruned transaction index, not the network', async () => {
    let calls = 0;
    const failing = withRpcRetry(async () => {
      calls++;
      throw new MissingReceiptError('0x12', 7);
    }, ctx());
    await expect(failing).rejects.toMatchObject({ code: 'ETL_EVM_RECEIPT_MISSING', retryable: false });
    await expect(failing).rejects.toThrow(
      /\(blocks 1–2\): eth_getTransactionReceipt answered null for transaction 0x12 of block 7, 3 times: the node has likely pruned its transaction index .*--history\.transactions=0/,
    );
    expect(calls).toBe(3);
  });
});
