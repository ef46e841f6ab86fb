/** Which CoinGecko host the emulator stands for: api.coingecko.com (demo) or pro-api.coingecko.com (pro). */
export type Plan = 'demo' | 'pro';

/** CoinGecko's `{"status":{"error_code","error_message"}}` error shape (401, 429). */
export interface StatusBody {
  status: { error_code: number; error_message: string };
}

export function statusBody(code: number, message: string): StatusBody {
  return { status: { error_code: code, error_message: message } };
}

const HEADER: Record<Plan, string> = { demo: 'x-cg-demo-api-key', pro: 'x-cg-pro-api-key' };
const PARAM: Record<Plan, string> = { demo: 'x_cg_demo_api_key', pro: 'x_cg_pro_api_key' };

// Messages of the documented codes: 10010 = a pro key on the public host, 10011 = a demo key on the pro host.
const WRONG_PLAN: Record<Plan, StatusBody> = {
  demo: statusBody(
    10010,
    'If you are using Pro API key, please change your root URL from api.coingecko.com to pro-api.coingecko.com',
  ),
  pro: statusBody(
    10011,
    'If you are using Demo API key, please change your root URL from pro-api.coingecko.com to api.coingecko.com',
  ),
};

export type AuthOutcome = { ok: true; bucket: string } | { ok: false; body: StatusBody };

function keyOf(plan: Plan, req: { headers: Record<string, string>; query: Record<string, string> }) {
  return req.headers[HEADER[plan]] ?? req.query[PARAM[plan]];
}

/**
 * Checks the key as the real hosts do: a key of the other plan is always refused (so a client pointed at the
 * wrong host fails here too); when `apiKey` is set, the plan's key must be present and equal to it. On success
 * `bucket` names the rate-limit bucket (the key, or `keyless`).
 */
export function authorize(
  req: { headers: Record<string, string>; query: Record<string, string> },
  plan: Plan,
  apiKey: string | undefined,
): AuthOutcome {
  if (keyOf(plan === 'demo' ? 'pro' : 'demo', req) !== undefined) return { ok: false, body: WRONG_PLAN[plan] };
  const key = keyOf(plan, req);
  if (apiKey !== undefined && key === undefined) return { ok: false, body: statusBody(10002, 'API Key Missing') };
  if (apiKey !== undefined && key !== apiKey) return { ok: false, body: statusBody(10002, 'Invalid API Key') };
  return { ok: true, bucket: key ?? 'keyless' };
}
