// Cohere v2 chat (api.cohere.com/v2/chat).
//
// Errors are `{"message": "..."}`; the 400/401/402/404/429 texts are examples from Cohere's own
// "Errors" reference (docs.cohere.com/reference/errors). The success shape and finish reasons
// follow cohere-ai 8.1.0's V2ChatResponse schema; `usage.billed_units` counts the prompt alone,
// `usage.tokens` includes the chat template. Cohere documents no request-id header; responses
// carry `x-debug-trace-id`.

import {
  ANSWER, bearerKey, budgetOf, hex, json, promptText, promptTokens, uuid,
} from './common.mjs';

function error(status, message, headers = {}) {
  return json(status, { message }, headers);
}

const rejections = {
  missingKey: () => error(401, 'no api key supplied'),
  rejectedKey: () => error(401, 'invalid api token'),
  invalidJson: (ctx) => error(400,
    `invalid json syntax: invalid character '${ctx.rawBody.trim()[0] ?? ' '}' looking for ` +
    'beginning of value'),
};

function validate(ctx) {
  const body = ctx.body;
  if (typeof body.model !== 'string' || body.model === '') {
    return error(400, 'a model parameter is required for this endpoint.');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return error(400,
      'invalid request: message must be at least 1 token long or tool results must be specified.');
  }
  return null;
}

// The chat template adds about 60 tokens that are counted but not billed.
const TEMPLATE_TOKENS = 60;

function chat(ctx) {
  const body = ctx.body;
  const billed = promptTokens(promptText(body.messages), 0);
  return {
    id: uuid(),
    message: { role: 'assistant', content: [{ type: 'text', text: ANSWER }] },
    finish_reason: budgetOf(body.max_tokens) === 1 ? 'MAX_TOKENS' : 'COMPLETE',
    usage: {
      billed_units: { input_tokens: billed, output_tokens: 1 },
      tokens: { input_tokens: billed + TEMPLATE_TOKENS, output_tokens: 1 },
    },
  };
}

const TRIAL_LIMIT =
  'You are using a Trial key, which is limited to 20 API calls / minute. You can continue to ' +
  'use the Trial key for free or upgrade to a Production key with higher rate limits at ' +
  "'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or " +
  'email us at support@cohere.com with any questions';

const faults = {
  // TODO(verify): Cohere documents no 503 or 502 body; these texts are assumed.
  overloaded: () => error(503, 'service unavailable, please try again later'),
  server_error: () => error(500,
    `internal server error, this has been reported to our developers. id ${uuid()}`),
  bad_gateway_json: () => error(502, 'bad gateway, please try again later'),
  rate_limited: () => error(429, TRIAL_LIMIT, { 'retry-after': '60' }),
  quota: () => error(402,
    'Please add or update your payment method at ' +
    'https://dashboard.cohere.com/billing?tab=payment to continue'),
  auth: () => rejections.rejectedKey(),
  model_not_found: (ctx) => error(404,
    `model '${ctx.model}' not found, make sure the correct model ID was used and that you have ` +
    'access to the model.'),
  bad_param: () => error(400, 'invalid request: temperature must be between 0 and 1.0 inclusive.'),
};

const MODELS = ['command-a-03-2025', 'command-r7b-12-2024', 'command-r-08-2024'];

function models() {
  return json(200, {
    models: MODELS.map((name) => ({ name, endpoints: ['chat'], finetuned: false })),
  });
}

export default {
  name: 'cohere',
  route(method, path) {
    if (method === 'POST' && path === '/v2/chat') return { kind: 'chat' };
    if (method === 'GET' && path === '/v1/models') return { kind: 'models' };
    return null;
  },
  keyOf: (ctx) => bearerKey(ctx.headers),
  modelOf: (ctx) => ctx.body?.model ?? null,
  requestId: () => hex(16),
  headers: (ctx) => ({ 'x-debug-trace-id': ctx.rid }),
  ...rejections,
  validate,
  success: (ctx) => json(200, chat(ctx)),
  models,
  faults,
};
