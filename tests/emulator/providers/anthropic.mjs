// Anthropic Messages API.
//
// Errors are `{"type":"error","error":{"type","message"},"request_id"}` (docs.claude.com
// "HTTP errors"), sent compact, with the same id in the `request-id` header. The spend-cap 429
// carries `error.details.error_code` (platform.claude.com "Rate limits"; @anthropic-ai/sdk
// 1.10.0 maps it to EnforcedSpendLimitReachedError). The success shape follows the real capture
// in /work/shared/fixtures/real/anthropic_messages_stop_reason_max_tokens.json (WorkflowAI).

import {
  ANSWER, base62, bearerKey, budgetOf, json, promptText, promptTokens,
} from './common.mjs';

const ORG_ID = '5b0d3c3e-8f2a-4d61-9c55-0e6f1f0a7a11';

function error(ctx, status, type, message, { details, headers } = {}) {
  const inner = details ? { type, message, details } : { type, message };
  return json(status, { type: 'error', error: inner, request_id: ctx.rid }, headers);
}

const rejections = {
  missingKey: (ctx) => error(ctx, 401, 'authentication_error', 'x-api-key header is required'),
  rejectedKey: (ctx) => error(ctx, 401, 'authentication_error', 'invalid x-api-key'),
  invalidJson: (ctx) => error(ctx, 400, 'invalid_request_error',
    'The request body is not valid JSON: Expecting value: line 1 column 1 (char 0)'),
};

function validate(ctx) {
  if (!ctx.headers['anthropic-version']) {
    return error(ctx, 400, 'invalid_request_error', 'anthropic-version: header is required');
  }
  if (!Number.isInteger(ctx.body.max_tokens)) {
    return error(ctx, 400, 'invalid_request_error', 'max_tokens: Field required');
  }
  return null;
}

function message(ctx) {
  const body = ctx.body;
  const budget = budgetOf(body.max_tokens);
  return {
    id: `msg_01${base62(22)}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: ANSWER }],
    stop_reason: budget === 1 ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: promptTokens(promptText(body.messages), 7),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 1,
    },
  };
}

const rateLimitMessage =
  `This request would exceed the rate limit for your organization (${ORG_ID}) of 50 requests ` +
  'per minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can ' +
  'see the response headers for current usage. Please reduce the prompt length or the maximum ' +
  'tokens requested, or try again later. You may also contact sales at ' +
  'https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.';

const faults = {
  overloaded: (ctx) => error(ctx, 529, 'overloaded_error', 'Overloaded',
    { headers: { 'x-should-retry': 'true' } }),
  server_error: (ctx) => error(ctx, 500, 'api_error', 'Internal server error'),
  // TODO(verify): no public capture of an Anthropic JSON 502; the docs' envelope is assumed.
  bad_gateway_json: (ctx) => error(ctx, 502, 'api_error', 'Bad gateway'),
  rate_limited: (ctx) => error(ctx, 429, 'rate_limit_error', rateLimitMessage,
    { headers: { 'retry-after': '12', 'anthropic-ratelimit-requests-remaining': '0' } }),
  // The spend cap is a rate_limit_error without retry-after: retrying cannot help before the
  // next month, which is why the docs single it out.
  quota: (ctx) => error(ctx, 429, 'rate_limit_error',
    'You have reached your API usage limits: your organization has crossed its monthly API ' +
    "usage threshold, set based on your organization's API tier. You will regain access on " +
    `${nextMonth()} at 00:00 UTC.`,
    { details: { error_code: 'enforced_spend_limit_reached' } }),
  auth: (ctx) => rejections.rejectedKey(ctx),
  model_not_found: (ctx) => error(ctx, 404, 'not_found_error', `model: ${ctx.model}`),
  bad_param: (ctx) => error(ctx, 400, 'invalid_request_error', 'temperature: range: 0..1'),
};

function nextMonth() {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return first.toISOString().slice(0, 10);
}

const MODELS = [
  ['claude-3-5-haiku-20241022', 'Claude Haiku 3.5'],
  ['claude-sonnet-4-20250514', 'Claude Sonnet 4'],
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1'],
];

function models() {
  const data = MODELS.map(([id, name]) => ({
    type: 'model', id, display_name: name, created_at: '2025-05-22T00:00:00Z',
  }));
  return json(200, { data, has_more: false, first_id: data[0].id, last_id: data.at(-1).id });
}

export default {
  name: 'anthropic',
  route(method, path) {
    if (method === 'POST' && path === '/v1/messages') return { kind: 'chat' };
    if (method === 'GET' && path === '/v1/models') return { kind: 'models' };
    return null;
  },
  // @anthropic-ai/sdk 1.10.0 sends the API key as `Authorization: Bearer` (with
  // anthropic-version 2026-10-21); the documented header is x-api-key. Both are accepted.
  keyOf: (ctx) => (typeof ctx.headers['x-api-key'] === 'string' ? ctx.headers['x-api-key']
    : bearerKey(ctx.headers)),
  modelOf: (ctx) => ctx.body?.model ?? null,
  requestId: () => `req_011C${base62(20)}`,
  headers: (ctx) => ({
    'request-id': ctx.rid,
    'anthropic-organization-id': ORG_ID,
  }),
  ...rejections,
  validate,
  success: (ctx) => json(200, message(ctx), {
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '49',
  }),
  models,
  faults,
};
