// The emulated providers, keyed by the first path segment they are served under.

import anthropic from './anthropic.mjs';
import cohere from './cohere.mjs';
import gemini from './gemini.mjs';
import mistral from './mistral.mjs';
import openai from './openai.mjs';
import xai from './xai.mjs';

export const PROVIDERS = new Map(
  [openai, anthropic, gemini, xai, cohere, mistral].map((provider) => [provider.name, provider]),
);
