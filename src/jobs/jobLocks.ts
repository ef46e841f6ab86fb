import { Redis } from 'ioredis';

// Compare-and-set scripts: a lock is only extended or deleted by the BullMQ job that holds it.
const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** One lock per job name in Redis, so a job never overlaps itself across every worker of a deployment. */
export interface JobLocks {
  /**
   * Takes the lock of `name` for `owner` (a BullMQ job id). True when taken, or when `owner` already holds it:
   * a stalled job picked up by another worker is the same job, and carries on.
   */
  acquire(name: string, owner: string): Promise<boolean>;
  /** The job id holding the lock of `name`, or null. */
  holder(name: string): Promise<string | null>;
  /** Extends the lock while the job runs (every third of its lifetime); call the returned function to stop. */
  keepAlive(name: string, owner: string, onLost: () => void): () => void;
  release(name: string, owner: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Locks live `ttlMs` unless renewed: a worker killed mid-job frees its job names after that long, which is
 * also BullMQ's lock duration, so the stalled job and its name lock expire together.
 */
export function createJobLocks(options: { url: string; prefix: string; ttlMs: number }): JobLocks {
  // Auto-pipelining: the lock calls of concurrent jobs share round trips to Redis.
  const redis = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: true, enableAutoPipelining: true });
  // Defined commands run by EVALSHA: the scripts travel to Redis once.
  redis.defineCommand('etlLockAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  redis.defineCommand('etlLockRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('etlLockRelease', { numberOfKeys: 1, lua: RELEASE });
  const scripts = redis as unknown as Record<
    'etlLockAcquire' | 'etlLockRenew' | 'etlLockRelease',
    (key: string, ...args: string[]) => Promise<number>
  >;
  const key = (name: string) => `${options.prefix}:locks:${name}`;
  const ttl = String(options.ttlMs);
  return {
    async acquire(name, owner) {
      return (await scripts.etlLockAcquire(key(name), owner, ttl)) === 1;
    },
    holder: (name) => redis.get(key(name)),
    keepAlive(name, owner, onLost) {
      const timer = setInterval(
        () => {
          scripts.etlLockRenew(key(name), owner, ttl).then(
            (renewed) => renewed !== 1 && onLost(),
            () => onLost(),
          );
        },
        Math.max(50, Math.floor(options.ttlMs / 3)),
      );
      return () => clearInterval(timer);
    },
    async release(name, owner) {
      await scripts.etlLockRelease(key(name), owner);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
