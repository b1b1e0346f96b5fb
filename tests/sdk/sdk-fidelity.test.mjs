// The official SDKs, pointed at the emulator with retries off, must read its answers exactly as
// they read the real providers': success bodies parse into the SDK's types, and the emulator's
// rejections raise each SDK's own typed error with the right status.
//
// Faults are chosen by model name: a request for model `fault-<name>` gets fault <name>.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import { ApiError, FinishReason, GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { SDKError } from '@mistralai/mistralai/models/errors';
import { Cohere, CohereClientV2 } from 'cohere-ai';
import OpenAI from 'openai';

import { FAULTS } from '../emulator/faults.mjs';
import { startEmulator } from '../emulator/emulator.mjs';

const KEY = 'sdk-test-key-0123456789abcdef';
const PING = [{ role: 'user', content: 'ping' }];

let emulator;

before(async () => {
  const rules = FAULTS.map((fault) => ({ model: `fault-${fault}`, sequence: [fault] }));
  emulator = await startEmulator({ port: 0, faults: { rules }, log: false });
});

after(() => emulator.close());

/** Runs `call` and returns the error it throws; fails the test if it resolves. */
async function thrown(call) {
  try {
    await call();
  } catch (err) {
    return err;
  }
  assert.fail('expected the SDK to throw');
}

function assertTyped(err, type, status, statusField = 'status') {
  assert.ok(err instanceof type, `expected ${type.name}, got ${err?.constructor?.name}: ${err}`);
  assert.equal(err[statusField], status);
}

describe('openai SDK', () => {
  const client = (key = KEY) => new OpenAI({
    apiKey: key, baseURL: `${emulator.url}/openai/v1`, maxRetries: 0,
  });
  const ask = (model, key, extra = {}) => client(key).chat.completions.create({
    model, messages: PING, max_completion_tokens: 1, ...extra,
  });

  test('a 1-token completion parses with finish_reason length and its usage', async () => {
    const completion = await ask('gpt-4o-mini');
    assert.equal(completion.choices[0].message.content, 'Hello');
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 1);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + 1);
    assert.match(completion._request_id, /^req_[0-9a-f]{32}$/);
  });

  test('a reasoning model answers empty content and counts the token as reasoning', async () => {
    const completion = await ask('gpt-5-mini');
    assert.equal(completion.choices[0].message.content, '');
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens_details.reasoning_tokens, 1);
  });

  test('a rejected key raises AuthenticationError 401 with code invalid_api_key', async () => {
    const err = await thrown(() => ask('gpt-4o-mini', 'bad'));
    assertTyped(err, OpenAI.AuthenticationError, 401);
    assert.equal(err.code, 'invalid_api_key');
    assert.match(err.requestID, /^req_/);
  });

  test('a rate limit raises RateLimitError 429 with code rate_limit_exceeded', async () => {
    const err = await thrown(() => ask('fault-rate_limited'));
    assertTyped(err, OpenAI.RateLimitError, 429);
    assert.equal(err.code, 'rate_limit_exceeded');
  });

  test('an exhausted quota raises RateLimitError 429 with code insufficient_quota', async () => {
    const err = await thrown(() => ask('fault-quota'));
    assertTyped(err, OpenAI.RateLimitError, 429);
    assert.equal(err.code, 'insufficient_quota');
  });

  test('a server error raises InternalServerError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), OpenAI.InternalServerError, 500);
  });

  test('an overload raises InternalServerError 503 with code server_is_overloaded', async () => {
    const err = await thrown(() => ask('fault-overloaded'));
    assertTyped(err, OpenAI.InternalServerError, 503);
    assert.equal(err.code, 'server_is_overloaded');
  });

  test('max_tokens on a reasoning model raises BadRequestError unsupported_parameter',
    async () => {
      const err = await thrown(() => client().chat.completions.create({
        model: 'gpt-5', messages: PING, max_tokens: 1,
      }));
      assertTyped(err, OpenAI.BadRequestError, 400);
      assert.equal(err.code, 'unsupported_parameter');
      assert.equal(err.param, 'max_tokens');
    });
});

describe('openai SDK against xAI', () => {
  const client = (key = KEY) => new OpenAI({
    apiKey: key, baseURL: `${emulator.url}/xai/v1`, maxRetries: 0,
  });
  const ask = (model, key, extra = {}) => client(key).chat.completions.create({
    model, messages: PING, max_tokens: 1, ...extra,
  });

  test('a 1-token completion parses with finish_reason length and xAI usage fields', async () => {
    const completion = await ask('grok-3');
    assert.equal(completion.choices[0].message.content, 'Hello');
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 1);
    assert.equal(completion.usage.num_sources_used, 0);
  });

  test('an incorrect key raises BadRequestError 400, as the real xAI answers', async () => {
    const err = await thrown(() => ask('grok-3', 'bad'));
    assertTyped(err, OpenAI.BadRequestError, 400);
    assert.match(err.message, /Incorrect API key provided/);
  });

  test('an invalid token raises AuthenticationError 401', async () => {
    assertTyped(await thrown(() => ask('fault-auth')), OpenAI.AuthenticationError, 401);
  });

  test('a rate limit raises RateLimitError 429', async () => {
    assertTyped(await thrown(() => ask('fault-rate_limited')), OpenAI.RateLimitError, 429);
  });

  test('a team without credits raises PermissionDeniedError 403', async () => {
    assertTyped(await thrown(() => ask('fault-quota')), OpenAI.PermissionDeniedError, 403);
  });

  test('a server error raises InternalServerError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), OpenAI.InternalServerError, 500);
  });

  test('presence_penalty on a reasoning model raises BadRequestError 400', async () => {
    const err = await thrown(() => ask('grok-4-0709', KEY, { presence_penalty: 0 }));
    assertTyped(err, OpenAI.BadRequestError, 400);
    assert.match(err.message, /does not support parameter presencePenalty/);
  });
});

describe('@anthropic-ai/sdk', () => {
  const client = (key = KEY) => new Anthropic({
    apiKey: key, baseURL: `${emulator.url}/anthropic`, maxRetries: 0,
  });
  const ask = (model, key) => client(key).messages.create({ model, max_tokens: 1, messages: PING });

  test('a 1-token message parses with stop_reason max_tokens and its usage', async () => {
    const message = await ask('claude-3-5-haiku-latest');
    assert.equal(message.content[0].text, 'Hello');
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 1);
    assert.ok(message.usage.input_tokens > 0);
    assert.match(message._request_id, /^req_011C/);
  });

  test('a rejected key raises AuthenticationError 401', async () => {
    const err = await thrown(() => ask('claude-3-5-haiku-latest', 'bad'));
    assertTyped(err, Anthropic.AuthenticationError, 401);
    assert.equal(err.type, 'authentication_error');
    assert.match(err.requestID, /^req_011C/);
  });

  test('a rate limit raises RateLimitError 429', async () => {
    const err = await thrown(() => ask('fault-rate_limited'));
    assertTyped(err, Anthropic.RateLimitError, 429);
    assert.equal(err.errorCode, null);
  });

  test('the spend cap raises EnforcedSpendLimitReachedError, a RateLimitError', async () => {
    const err = await thrown(() => ask('fault-quota'));
    assertTyped(err, Anthropic.EnforcedSpendLimitReachedError, 429);
    assert.ok(err instanceof Anthropic.RateLimitError);
    assert.equal(err.errorCode, 'enforced_spend_limit_reached');
  });

  test('an overload raises OverloadedError 529, an InternalServerError', async () => {
    const err = await thrown(() => ask('fault-overloaded'));
    assertTyped(err, Anthropic.OverloadedError, 529);
    assert.ok(err instanceof Anthropic.InternalServerError);
  });

  test('a server error raises InternalServerError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), Anthropic.InternalServerError, 500);
  });

  test('an unknown model raises NotFoundError 404 naming the model', async () => {
    const err = await thrown(() => ask('fault-model_not_found'));
    assertTyped(err, Anthropic.NotFoundError, 404);
    assert.equal(err.apiMessage, 'model: fault-model_not_found');
  });
});

describe('@google/genai', () => {
  // With no retryOptions the SDK makes exactly one attempt.
  const client = (key = KEY) => new GoogleGenAI({
    apiKey: key, httpOptions: { baseUrl: `${emulator.url}/gemini` },
  });
  const ask = (model, key, config = {}) => client(key).models.generateContent({
    model, contents: 'ping', config: { maxOutputTokens: 1, ...config },
  });

  test('a 1-token answer parses with finishReason MAX_TOKENS and usageMetadata', async () => {
    const response = await ask('gemini-2.0-flash');
    assert.equal(response.text, 'Hello');
    assert.equal(response.candidates[0].finishReason, FinishReason.MAX_TOKENS);
    assert.equal(response.usageMetadata.candidatesTokenCount, 1);
    assert.equal(response.modelVersion, 'gemini-2.0-flash');
  });

  test('Gemini 2.5 Pro spending the budget on thinking parses as a candidate without parts',
    async () => {
      const response = await ask('gemini-2.5-pro');
      assert.equal(response.text, undefined);
      assert.equal(response.candidates[0].content.parts, undefined);
      assert.equal(response.candidates[0].finishReason, FinishReason.MAX_TOKENS);
      assert.equal(response.usageMetadata.thoughtsTokenCount, 1);
    });

  // Gemini has no 401 for API keys: an invalid key is its 400 API_KEY_INVALID.
  test('an invalid key raises ApiError 400 carrying API_KEY_INVALID', async () => {
    const err = await thrown(() => ask('gemini-2.0-flash', 'bad'));
    assertTyped(err, ApiError, 400);
    assert.match(err.message, /API_KEY_INVALID/);
  });

  test('a rate limit raises ApiError 429 RESOURCE_EXHAUSTED', async () => {
    const err = await thrown(() => ask('fault-rate_limited'));
    assertTyped(err, ApiError, 429);
    assert.match(err.message, /RESOURCE_EXHAUSTED/);
  });

  test('an overload raises ApiError 503 UNAVAILABLE', async () => {
    const err = await thrown(() => ask('fault-overloaded'));
    assertTyped(err, ApiError, 503);
    assert.match(err.message, /The model is overloaded/);
  });

  test('a server error raises ApiError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), ApiError, 500);
  });
});

describe('cohere-ai v2 client', () => {
  const client = (key = KEY) => new CohereClientV2({
    token: key, baseUrl: `${emulator.url}/cohere`, maxRetries: 0,
  });
  const ask = (model, key) => client(key).chat({ model, messages: PING, maxTokens: 1 });

  test('a 1-token chat parses with finishReason MAX_TOKENS and billed and counted usage',
    async () => {
      const response = await ask('command-a-03-2025');
      assert.equal(response.message.content[0].text, 'Hello');
      assert.equal(response.finishReason, 'MAX_TOKENS');
      assert.equal(response.usage.billedUnits.outputTokens, 1);
      assert.equal(response.usage.tokens.outputTokens, 1);
      assert.ok(response.usage.tokens.inputTokens > response.usage.billedUnits.inputTokens);
    });

  test('a rejected key raises UnauthorizedError 401', async () => {
    const err = await thrown(() => ask('command-a-03-2025', 'bad'));
    assertTyped(err, Cohere.UnauthorizedError, 401, 'statusCode');
    assert.deepEqual(err.body, { message: 'invalid api token' });
  });

  test('a rate limit raises TooManyRequestsError 429', async () => {
    assertTyped(await thrown(() => ask('fault-rate_limited')), Cohere.TooManyRequestsError, 429,
      'statusCode');
  });

  test('a server error raises InternalServerError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), Cohere.InternalServerError, 500,
      'statusCode');
  });

  test('an overload raises ServiceUnavailableError 503', async () => {
    assertTyped(await thrown(() => ask('fault-overloaded')), Cohere.ServiceUnavailableError, 503,
      'statusCode');
  });
});

describe('@mistralai/mistralai', () => {
  const client = (key = KEY) => new Mistral({
    apiKey: key, serverURL: `${emulator.url}/mistral`, retryConfig: { strategy: 'none' },
  });
  const ask = (model, key) => client(key).chat.complete({ model, messages: PING, maxTokens: 1 });

  test('a 1-token completion parses with finishReason length and its usage', async () => {
    const response = await ask('mistral-small-latest');
    assert.equal(response.choices[0].message.content, 'Hello');
    assert.equal(response.choices[0].finishReason, 'length');
    assert.equal(response.usage.completionTokens, 1);
    assert.equal(response.usage.totalTokens, response.usage.promptTokens + 1);
  });

  // Mistral's SDK has one typed class, SDKError, for every 4xx and 5xx other than 422.
  test('a rejected key raises SDKError 401', async () => {
    const err = await thrown(() => ask('mistral-small-latest', 'bad'));
    assertTyped(err, SDKError, 401, 'statusCode');
    assert.equal(JSON.parse(err.body).message, 'Unauthorized');
  });

  test('a rate limit raises SDKError 429', async () => {
    const err = await thrown(() => ask('fault-rate_limited'));
    assertTyped(err, SDKError, 429, 'statusCode');
    assert.equal(JSON.parse(err.body).code, '1300');
  });

  test('a server error raises SDKError 500', async () => {
    assertTyped(await thrown(() => ask('fault-server_error')), SDKError, 500, 'statusCode');
  });

  test('an overload raises SDKError 503', async () => {
    assertTyped(await thrown(() => ask('fault-overloaded')), SDKError, 503, 'statusCode');
  });
});
