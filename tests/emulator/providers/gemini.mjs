// Gemini API (generativelanguage.googleapis.com), generateContent.
//
// Errors are Google's `{"error": {"code", "message", "status", "details"?}}`, pretty-printed
// with 2 spaces. An invalid key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, and a
// missing key a 403 PERMISSION_DENIED: this API has no 401 for API keys. Wording checked against
// raw bodies quoted in google-gemini/gemini-cli, googleapis/python-genai and client issues.
// A thinking model that spends the whole budget returns a candidate whose content has no
// `parts` (googleapis/python-genai#626, google/adk-python#1357; shape as quoted in
// carlrobertoh/llm-client#61). No request-id header is documented for this API.

import { ANSWER, base62, budgetOf, json, promptText, promptTokens } from './common.mjs';

const CONTENT_TYPE = { 'content-type': 'application/json; charset=UTF-8' };
const RATE_DOCS = 'https://ai.google.dev/gemini-api/docs/rate-limits';

function reply(status, body, headers = {}) {
  return json(status, body, { ...CONTENT_TYPE, ...headers }, 2);
}

function error(code, status, message, details) {
  const inner = details ? { code, message, status, details } : { code, message, status };
  return reply(code, { error: inner });
}

const rejections = {
  missingKey: () => error(403, 'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). " +
    'Please use API Key or other form of API consumer identity to call this API.'),
  rejectedKey: () => {
    const message = 'API key not valid. Please pass a valid API key.';
    return error(400, 'INVALID_ARGUMENT', message, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
    ]);
  },
  invalidJson: (ctx) => error(400, 'INVALID_ARGUMENT',
    `Invalid JSON payload received. Unexpected token.\n${ctx.rawBody.slice(0, 20)}\n^`),
};

const TOP_LEVEL = new Set([
  'contents', 'systemInstruction', 'system_instruction', 'generationConfig', 'generation_config',
  'safetySettings', 'safety_settings', 'tools', 'toolConfig', 'tool_config', 'cachedContent',
  'cached_content', 'serviceTier', 'service_tier', 'labels',
]);

function unknownField(name) {
  const description = `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
  return error(400, 'INVALID_ARGUMENT', description,
    [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ description }] }]);
}

function validate(ctx) {
  const body = ctx.body;
  const unknown = Object.keys(body).find((name) => !TOP_LEVEL.has(name));
  if (unknown) return unknownField(unknown);
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return error(400, 'INVALID_ARGUMENT',
      '* GenerateContentRequest.contents: contents is not specified');
  }
  if (/^gemini-2\.5-pro/.test(ctx.model) && thinkingBudget(body) === 0) {
    // TODO(verify): wording recalled, not found in a public capture.
    return error(400, 'INVALID_ARGUMENT',
      'Budget 0 is invalid. This model only works in thinking mode.');
  }
  return null;
}

function generationConfig(body) {
  return body.generationConfig ?? body.generation_config ?? {};
}

function thinkingBudget(body) {
  const thinking = generationConfig(body).thinkingConfig ?? generationConfig(body).thinking_config;
  const value = thinking?.thinkingBudget ?? thinking?.thinking_budget;
  return Number.isInteger(value) ? value : null;
}

/** Whether the model thinks before answering under this request's configuration. */
export function thinks(model, body) {
  const budget = thinkingBudget(body);
  if (/^gemini-2\.5-pro/.test(model) || /^gemini-3/.test(model)) return true;
  if (/^gemini-2\.5-flash-lite/.test(model)) return budget !== null && budget > 0;
  if (/^gemini-2\.5-flash/.test(model)) return budget !== 0;
  return false;
}

function generateContent(ctx) {
  const body = ctx.body;
  const config = generationConfig(body);
  const budget = budgetOf(config.maxOutputTokens, config.max_output_tokens);
  const prompt = promptTokens(promptText(body.contents), 0);
  const thinking = thinks(ctx.model, body);
  // Thinking counts against maxOutputTokens; a budget below the model's minimum thinking
  // budget (128 for 2.5 Pro) is consumed before any visible token exists.
  const starved = thinking && budget !== null && budget < 128;
  const candidate = starved ? starvedCandidate() : answerCandidate(budget);
  return {
    candidates: [candidate],
    usageMetadata: usage(prompt, starved ? 0 : 1, thinking ? (starved ? budget : 64) : 0),
    modelVersion: ctx.model,
    responseId: base62(22),
  };
}

function starvedCandidate() {
  return { content: { role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 };
}

function answerCandidate(budget) {
  return {
    content: { parts: [{ text: ANSWER }], role: 'model' },
    finishReason: budget === 1 ? 'MAX_TOKENS' : 'STOP',
    index: 0,
  };
}

function usage(prompt, candidates, thoughts) {
  const out = { promptTokenCount: prompt };
  if (candidates > 0) out.candidatesTokenCount = candidates;
  out.totalTokenCount = prompt + candidates + thoughts;
  out.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  if (thoughts > 0) out.thoughtsTokenCount = thoughts;
  return out;
}

function quotaViolation(ctx) {
  return {
    quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
    quotaDimensions: { location: 'global', model: ctx.model },
    quotaValue: '10',
  };
}

const faults = {
  overloaded: () => error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
  server_error: () => error(500, 'INTERNAL',
    'An internal error has occurred. Please retry or report in ' +
    'https://developers.generativeai.google/guide/troubleshooting'),
  // TODO(verify): Google's front end usually answers 502 in HTML; this JSON form is assumed.
  bad_gateway_json: () => error(502, 'UNAVAILABLE', 'Bad Gateway'),
  // Google puts the wait in the body (RetryInfo), not in a retry-after header.
  rate_limited: (ctx) => error(429, 'RESOURCE_EXHAUSTED',
    'You exceeded your current quota, please check your plan and billing details. For more ' +
    `information on this error, head to: ${RATE_DOCS}.`,
    [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [quotaViolation(ctx)] },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Learn more about Gemini API quotas', url: RATE_DOCS }],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
    ]),
  quota: () => error(429, 'RESOURCE_EXHAUSTED',
    'Your prepayment credits are depleted. Please go to AI Studio at ' +
    'https://ai.studio/projects to manage your project and billing.'),
  auth: () => rejections.rejectedKey(),
  model_not_found: (ctx) => error(404, 'NOT_FOUND',
    `models/${ctx.model} is not found for API version ${ctx.params.version}, or is not ` +
    'supported for generateContent. Call ListModels to see the list of available models and ' +
    'their supported methods.'),
  bad_param: () => unknownField('max_tokens'),
};

const MODELS = ['gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.5-pro'];

function models() {
  return reply(200, {
    models: MODELS.map((id) => ({
      name: `models/${id}`,
      displayName: id,
      supportedGenerationMethods: ['generateContent', 'countTokens'],
    })),
  });
}

const GENERATE = /^\/(v1beta|v1)\/models\/([^/:]+):generateContent$/;

export default {
  name: 'gemini',
  route(method, path) {
    const match = GENERATE.exec(path);
    if (method === 'POST' && match) {
      return { kind: 'chat', params: { version: match[1], model: decodeURIComponent(match[2]) } };
    }
    if (method === 'GET' && /^\/(v1beta|v1)\/models$/.test(path)) return { kind: 'models' };
    return null;
  },
  keyOf: (ctx) => ctx.headers['x-goog-api-key'] ?? ctx.query.get('key') ?? null,
  modelOf: (ctx) => ctx.params?.model ?? null,
  requestId: () => base62(22),
  headers: () => ({}),
  ...rejections,
  validate,
  success: (ctx) => reply(200, generateContent(ctx)),
  models,
  faults,
};
