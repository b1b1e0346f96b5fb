// xAI chat completions (api.x.ai), OpenAI-compatible on success, its own shape on error.
//
// Errors are `{"code": <gRPC status description>, "error": <message>}`: the `code` strings are
// the standard descriptions of INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND,
// RESOURCE_EXHAUSTED, INTERNAL and UNAVAILABLE. docs.x.ai "Debugging Errors" says a wrong key is
// a 400 and a missing or malformed authorization header a 401. Messages checked against raw
// bodies quoted in client issue trackers (continuedev/continue, lobehub, openclaw, litellm).
// Usage carries xAI's extra fields (docs.x.ai example: num_sources_used, text/image tokens);
// reasoning tokens are reported but not included in completion_tokens.

import {
  bearerKey, budgetOf, chatCompletionsRoute, json, maskKeyShort, modelList, uuid,
} from './common.mjs';
import { chatCompletion } from './openai.mjs';

const TEAM_ID = '3d1c7b2e-0f54-4a8e-9b6d-71c2a9e4f055';

const CODES = {
  400: 'Client specified an invalid argument',
  401: 'The request does not have valid authentication credentials',
  403: 'The caller does not have permission to execute the specified operation',
  404: 'Some requested entity was not found',
  429: 'Some resource has been exhausted',
  500: 'Internal error',
  502: 'The service is currently unavailable',
  503: 'The service is currently unavailable',
};

function error(status, message, headers = {}) {
  return json(status, { code: CODES[status], error: message }, headers);
}

/** Grok 4 (its non-reasoning variants included) and Grok 3 Mini reject these parameters. */
function rejectsPenalties(model) {
  return /^grok-(4|3-mini)/.test(model ?? '');
}

/** Families that think before answering, and so spend a tiny budget on thinking. */
export function isReasoningModel(model) {
  return rejectsPenalties(model) && !/non-reasoning/.test(model);
}

// TODO(verify): the texts of the 401s, the 5xx and the malformed-JSON 400 below are not in any
// public capture found; their statuses and `code` strings follow the documentation.
const rejections = {
  missingKey: () => error(401, 'No API key was provided in the Authorization header.'),
  rejectedKey: (ctx) => error(400,
    `Incorrect API key provided: ${maskKeyShort(ctx.key)}. You can obtain an API key from ` +
    'https://console.x.ai.'),
  invalidJson: () => error(400,
    'Failed to parse the request body as JSON: expected value at line 1 column 1'),
};

const UNSUPPORTED = [['presence_penalty', 'presencePenalty'],
  ['frequency_penalty', 'frequencyPenalty'], ['stop', 'stop']];

function unsupported(model, name) {
  return error(400, `Model ${model} does not support parameter ${name}.`);
}

function validate(ctx) {
  if (!rejectsPenalties(ctx.model)) return null;
  const hit = UNSUPPORTED.find(([field]) => ctx.body[field] !== undefined);
  return hit ? unsupported(ctx.model, hit[1]) : null;
}

function completion(ctx) {
  const reasoning = isReasoningModel(ctx.model);
  const body = chatCompletion(ctx, { idPrefix: '', reasoning: false });
  body.id = uuid();
  if (reasoning) starve(body, budgetOf(ctx.body.max_completion_tokens, ctx.body.max_tokens));
  body.usage.prompt_tokens_details = {
    text_tokens: body.usage.prompt_tokens, audio_tokens: 0, image_tokens: 0, cached_tokens: 0,
  };
  body.usage.num_sources_used = 0;
  return body;
}

// A reasoning model given a tiny budget spends it thinking: the visible answer is empty and the
// reasoning tokens appear only in completion_tokens_details and total_tokens.
function starve(body, budget) {
  if (budget === null) return;
  const usage = body.usage;
  body.choices[0].message.content = '';
  body.choices[0].finish_reason = 'length';
  usage.completion_tokens = 0;
  usage.completion_tokens_details.reasoning_tokens = budget;
  usage.total_tokens = usage.prompt_tokens + budget;
}

const faults = {
  // xAI reports capacity as RESOURCE_EXHAUSTED; the 503 status here is the brief's, not seen.
  overloaded: () => error(503,
    'The service is temporarily at capacity. Please retry your request shortly.'),
  server_error: () => error(500, 'An internal error occurred. Please retry your request.'),
  bad_gateway_json: () => error(502, 'Bad gateway. Please retry your request.'),
  rate_limited: () => error(429, 'Rate limit exceeded', { 'retry-after': '1' }),
  quota: () => error(403,
    "Your newly created team doesn't have any credits or licenses yet. You can purchase those " +
    `on https://console.x.ai/team/${TEAM_ID}.`),
  auth: () => error(401, 'The provided API key is invalid or has been revoked.'),
  model_not_found: (ctx) => error(404,
    `The model ${ctx.model} does not exist or your team ${TEAM_ID} does not have access to it. ` +
    "Please ensure you're using the correct API key. If you believe this is a mistake, please " +
    'contact support and quote your team ID and the model name.'),
  bad_param: (ctx) => unsupported(ctx.model ?? 'grok-4', 'presencePenalty'),
};

const MODELS = ['grok-3', 'grok-3-mini', 'grok-4-0709', 'grok-4-fast-non-reasoning'];

function models() {
  return modelList(MODELS, 1752019200, 'xai');
}

export default {
  name: 'xai',
  route: chatCompletionsRoute,
  keyOf: (ctx) => bearerKey(ctx.headers),
  modelOf: (ctx) => ctx.body?.model ?? null,
  requestId: () => uuid(),
  // x-request-id is seen in gateway logs of xAI traffic; not documented by xAI.
  headers: (ctx) => ({ 'x-request-id': ctx.rid }),
  ...rejections,
  validate,
  success: (ctx) => json(200, completion(ctx)),
  models,
  faults,
};
