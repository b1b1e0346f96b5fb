// OpenAI Chat Completions, as seen on the wire for a 1-token probe.
//
// Error bodies are `{"error": {"message", "type", "param", "code"}}`; OpenAI pretty-prints them
// with 4 spaces. Wording checked against public captures (openai-python, openai-cookbook and
// downstream issue trackers quoting the raw body); the success shape follows the real capture in
// /work/shared/fixtures/real/openai_chat_finish_reason_length.json (WorkflowAI, gpt-4o).

import {
  ANSWER, base62, bearerKey, budgetOf, chatCompletionsRoute, hex, json, maskKey, modelList,
  nowSeconds, promptText, promptTokens,
} from './common.mjs';

const KEYS_URL = 'https://platform.openai.com/account/api-keys';

/** Families that spend the budget on hidden reasoning and reject `max_tokens`. */
export function isReasoningModel(model) {
  return /^(gpt-5|o1|o3|o4)/.test(model ?? '');
}

function error(status, message, type, param = null, code = null, headers = {}) {
  return json(status, { error: { message, type, param, code } }, headers, 4);
}

const rejections = {
  missingKey: () => error(401,
    "You didn't provide an API key. You need to provide your API key in an Authorization " +
    'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field ' +
    "(with blank username) if you're accessing the API from your browser and are prompted for " +
    `a username and password. You can obtain an API key from ${KEYS_URL}.`,
    'invalid_request_error'),
  rejectedKey: (ctx) => error(401,
    `Incorrect API key provided: ${maskKey(ctx.key)}. You can find your API key at ${KEYS_URL}.`,
    'invalid_request_error', null, 'invalid_api_key'),
  invalidJson: () => error(400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't " +
    'using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was ' +
    'sent was not valid JSON. If you have trouble figuring out how to fix this, please contact ' +
    'us through our help center at help.openai.com.)',
    'invalid_request_error'),
};

const maxTokensRejected = () => error(400,
  "Unsupported parameter: 'max_tokens' is not supported with this model. Use " +
  "'max_completion_tokens' instead.",
  'invalid_request_error', 'max_tokens', 'unsupported_parameter');

const temperatureRejected = (value) => error(400,
  `Unsupported value: 'temperature' does not support ${value} with this model. Only the ` +
  'default (1) value is supported.',
  'invalid_request_error', 'temperature', 'unsupported_value');

function validate(ctx) {
  const body = ctx.body;
  if (typeof body.model !== 'string' || body.model === '') {
    return error(400, 'you must provide a model parameter', 'invalid_request_error');
  }
  if (!isReasoningModel(body.model)) return null;
  if (body.max_tokens !== undefined) return maxTokensRejected();
  if (body.temperature !== undefined && body.temperature !== 1) {
    return temperatureRejected(body.temperature);
  }
  return null;
}

/** Builds a chat.completion; shared with xAI, whose API copies this shape. */
export function chatCompletion(ctx, { idPrefix, usageExtra = {}, reasoning }) {
  const body = ctx.body;
  const budget = budgetOf(body.max_completion_tokens, body.max_tokens);
  const prompt = promptTokens(promptText(body.messages), 7);
  const out = reasoning ? reasoningOutput(budget) : plainOutput(budget);
  return {
    id: `${idPrefix}${base62(29)}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: body.model,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: out.content, refusal: null },
      logprobs: null,
      finish_reason: out.finish,
    }],
    usage: usageOf(prompt, out, usageExtra),
    system_fingerprint: `fp_${hex(5)}`,
  };
}

// Reasoning models bill hidden thinking as completion tokens; a 1-token budget is all thinking,
// so the visible content comes back empty and the request ends on the length limit.
function reasoningOutput(budget) {
  if (budget === null) return { content: ANSWER, completion: 2, reasoning: 1, finish: 'stop' };
  return { content: '', completion: budget, reasoning: budget, finish: 'length' };
}

function plainOutput(budget) {
  return { content: ANSWER, completion: 1, reasoning: 0, finish: budget === 1 ? 'length' : 'stop' };
}

function usageOf(prompt, out, extra) {
  return {
    prompt_tokens: prompt,
    completion_tokens: out.completion,
    total_tokens: prompt + out.completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: out.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
    ...extra,
  };
}

const rateHeaders = (remaining) => ({
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-requests': String(remaining),
  'x-ratelimit-reset-requests': '120ms',
});

const faults = {
  overloaded: () => error(503, 'Our servers are currently overloaded. Please try again later.',
    'service_unavailable_error', null, 'server_is_overloaded'),
  server_error: () => error(500,
    'The server had an error while processing your request. Sorry about that!', 'server_error'),
  // The real Cloudflare-fronted 502 is compact and carries a numeric code (captured 2023).
  bad_gateway_json: () => json(502,
    { error: { code: 502, message: 'Bad gateway.', param: null, type: 'cf_bad_gateway' } }),
  rate_limited: (ctx) => error(429,
    `Rate limit reached for ${ctx.model} in organization org-emulator on requests per min ` +
    '(RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit ' +
    'https://platform.openai.com/account/rate-limits to learn more.',
    'requests', null, 'rate_limit_exceeded', { 'retry-after': '1', ...rateHeaders(0) }),
  quota: () => error(429,
    'You exceeded your current quota, please check your plan and billing details. For more ' +
    'information on this error, read the docs: ' +
    'https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'insufficient_quota', null, 'insufficient_quota'),
  auth: (ctx) => rejections.rejectedKey({ key: ctx.key ?? 'sk-emulator-fault-key' }),
  model_not_found: (ctx) => error(404,
    `The model \`${ctx.model}\` does not exist or you do not have access to it.`,
    'invalid_request_error', null, 'model_not_found'),
  bad_param: () => maxTokensRejected(),
};

const MODELS = ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini', 'o4-mini'];

function models() {
  return modelList(MODELS, 1715367049, 'system');
}

export default {
  name: 'openai',
  route: chatCompletionsRoute,
  keyOf: (ctx) => bearerKey(ctx.headers),
  modelOf: (ctx) => ctx.body?.model ?? null,
  requestId: () => `req_${hex(16)}`,
  headers: (ctx) => ({
    'x-request-id': ctx.rid,
    'openai-version': '2020-10-01',
    'openai-processing-ms': String(40 + (ctx.seq % 60)),
  }),
  ...rejections,
  validate,
  success: (ctx) => json(200, chatCompletion(ctx, {
    idPrefix: 'chatcmpl-', reasoning: isReasoningModel(ctx.model),
  }), rateHeaders(499)),
  models,
  faults,
};
