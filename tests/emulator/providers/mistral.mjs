// Mistral chat completions (api.mistral.ai/v1/chat/completions).
//
// Most errors are `{"object":"error","message","type","param","code"}`; a request with a field
// outside the schema is a 422 whose `message` holds pydantic's `{"detail": [...]}`. A 401 is
// `{"message":"Unauthorized","request_id"}`, and an unknown model is a 400 `invalid_model`, not
// a 404. Bodies checked against raw captures quoted in client issue trackers (cline, continue,
// raycast, langchaingo, mistral-go). The accepted top-level fields are those of
// @mistralai/mistralai 2.7.0's ChatCompletionRequest. The success shape follows the real capture
// in /work/shared/fixtures/real/mistral_chat_finish_reason_length.json (WorkflowAI).

import {
  ANSWER, bearerKey, budgetOf, chatCompletionsRoute, hex, json, modelList, nowSeconds, promptText,
  promptTokens,
} from './common.mjs';

function error(status, message, type, code = null, extra = {}) {
  return json(status, { object: 'error', message, type, param: null, code, ...extra });
}

function unauthorized() {
  return json(401, { message: 'Unauthorized', request_id: hex(16) });
}

function validationError(detail) {
  return error(422, { detail }, 'invalid_request_error');
}

const rejections = {
  missingKey: unauthorized,
  rejectedKey: unauthorized,
  // TODO(verify): FastAPI's json_invalid rejection in Mistral's envelope; not captured.
  invalidJson: () => validationError([{
    type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {},
    ctx: { error: 'Expecting value' },
  }]),
};

const FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed',
  'metadata', 'response_format', 'tools', 'tool_choice', 'presence_penalty', 'frequency_penalty',
  'n', 'prediction', 'parallel_tool_calls', 'reasoning_effort', 'prompt_mode', 'guardrails',
  'prompt_cache_key', 'service_tier', 'safe_prompt',
]);

function extraForbidden(field, input) {
  return { type: 'extra_forbidden', loc: ['body', field], msg: 'Extra inputs are not permitted',
    input };
}

function validate(ctx) {
  const body = ctx.body;
  const extras = Object.keys(body).filter((name) => !FIELDS.has(name));
  if (extras.length > 0) {
    return validationError(extras.map((name) => extraForbidden(name, body[name])));
  }
  return null;
}

function completion(ctx) {
  const body = ctx.body;
  const prompt = promptTokens(promptText(body.messages), 6);
  return {
    id: hex(16),
    object: 'chat.completion',
    created: nowSeconds(),
    model: body.model,
    choices: [{
      index: 0,
      message: { role: 'assistant', tool_calls: null, content: ANSWER },
      finish_reason: budgetOf(body.max_tokens) === 1 ? 'length' : 'stop',
    }],
    usage: { prompt_tokens: prompt, total_tokens: prompt + 1, completion_tokens: 1 },
  };
}

const rateHeaders = (remaining) => ({
  'x-ratelimit-limit-req-minute': '60',
  'x-ratelimit-remaining-req-minute': String(remaining),
  'x-ratelimit-limit-tokens-minute': '500000',
  'x-ratelimit-remaining-tokens-minute': String(remaining === 0 ? 0 : 499990),
});

const faults = {
  // Mistral answers a capacity shortage with 503 and this message (litellm#25078, continue#6185).
  overloaded: () => error(503, 'Service tier capacity exceeded for this model.',
    'invalid_request_error'),
  // TODO(verify): no public capture of Mistral's 500 or 502 JSON; the envelope is assumed.
  server_error: () => error(500, 'Internal server error', 'internal_server_error'),
  bad_gateway_json: () => error(502, 'Bad gateway', 'internal_server_error'),
  rate_limited: () => json(429, {
    object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', param: null,
    code: '1300', raw_status_code: 429,
  }, { 'retry-after': '1', ...rateHeaders(0) }),
  // TODO(verify): a Mistral billing refusal was not found in a capture; 402 is the fallback.
  quota: () => error(402, 'Insufficient balance, please add credits', 'invalid_request_error'),
  auth: unauthorized,
  model_not_found: (ctx) => json(400, {
    object: 'error', message: `Invalid model: ${ctx.model}`, type: 'invalid_model', param: null,
    code: '1500', raw_status_code: 400,
  }),
  bad_param: () => validationError([extraForbidden('max_completion_tokens', 1)]),
};

const MODELS = ['mistral-small-latest', 'mistral-medium-latest', 'magistral-small-latest'];

function models() {
  return modelList(MODELS, 1750000000, 'mistralai');
}

export default {
  name: 'mistral',
  route: chatCompletionsRoute,
  keyOf: (ctx) => bearerKey(ctx.headers),
  modelOf: (ctx) => ctx.body?.model ?? null,
  requestId: () => hex(16),
  headers: (ctx) => ({ 'mistral-correlation-id': ctx.rid }),
  ...rejections,
  validate,
  success: (ctx) => json(200, completion(ctx), rateHeaders(59)),
  models,
  faults,
};
