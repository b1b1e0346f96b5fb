// Where alerts go, from the deployment's variables and secrets. Webhook URLs carry their own
// credentials (a Slack incoming-webhook URL is one), so they are secrets, never config text.
import type { CoreError } from "../core.ts";
import type { EmailBinding, EmailChannel } from "./email.ts";

export type Channel =
  | { name: "slack"; kind: "slack"; url: string }
  | { name: "webhook"; kind: "webhook"; url: string; secret?: string }
  | ({ name: "email"; kind: "email" } & EmailChannel);

export interface ChannelEnv {
  SLACK_WEBHOOK_URL?: string;
  ALERT_WEBHOOK_URL?: string;
  ALERT_WEBHOOK_SECRET?: string;
  EMAIL_API_URL?: string;
  EMAIL_API_KEY?: string;
  EMAIL_FROM?: string;
  EMAIL_TO?: string;
  /** "http" (the default) or "cloudflare", which sends through the EMAIL binding. */
  EMAIL_TRANSPORT?: string;
  EMAIL?: EmailBinding;
}

export const CHANNEL_SECRET_NAMES = [
  "SLACK_WEBHOOK_URL",
  "ALERT_WEBHOOK_URL",
  "ALERT_WEBHOOK_SECRET",
  "EMAIL_API_KEY",
] as const;

const DEFAULT_EMAIL_API = "https://api.resend.com/emails";
const AN_ADDRESS = String.raw`[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+`;
const ADDRESS = new RegExp(`^${AN_ADDRESS}$`);
// A sender with a display name, "HeyHi <alerts@example.com>", as Resend documents `from`; a
// name with a comma in it is quoted, as mail addresses write it: "Acme, Inc" <ops@acme.com>.
const NAMED_ADDRESS = new RegExp(`^(?:"([^"]*)"|([^<>"]*?))\\s*<(${AN_ADDRESS})>$`);

/** EMAIL_FROM as an address and, if it has one, a display name; null if it is neither form. */
export function senderOf(text: string): { email: string; name?: string } | null {
  const value = text.trim();
  if (ADDRESS.test(value)) return { email: value };
  const named = NAMED_ADDRESS.exec(value);
  if (!named) return null;
  const name = (named[1] ?? named[2])?.trim();
  return name ? { email: named[3]!, name } : { email: named[3]! };
}

// Plain http is accepted only on loopback (IPv4's 127.0.0.0/8, IPv6's ::1 and localhost),
// for local receivers and tests.
const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|localhost|\[::1\])$/;

function validUrl(text: string): boolean {
  try {
    const url = new URL(text);
    const loopback = LOOPBACK_HOST.test(url.hostname);
    return url.protocol === "https:" || (url.protocol === "http:" && loopback);
  } catch {
    return false;
  }
}

function addresses(env: ChannelEnv, problems: CoreError[]): { from: string; to: string[] } {
  const to = (env.EMAIL_TO ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  if (!env.EMAIL_FROM || !senderOf(env.EMAIL_FROM)) {
    problems.push({
      field: "EMAIL_FROM",
      message: 'must be the sender\'s address, or "Name <address>"',
    });
  }
  if (to.length === 0 || !to.every((a) => ADDRESS.test(a))) {
    problems.push({ field: "EMAIL_TO", message: "must be one or more addresses, comma-separated" });
  }
  return { from: env.EMAIL_FROM?.trim() ?? "", to };
}

function emailChannel(env: ChannelEnv, problems: CoreError[]): Channel | undefined {
  const transport = env.EMAIL_TRANSPORT || "http";
  // Any one email setting asks for the channel, so that the others missing are said.
  const { EMAIL_API_KEY, EMAIL_TO, EMAIL_TRANSPORT, EMAIL_FROM, EMAIL_API_URL } = env;
  if (![EMAIL_API_KEY, EMAIL_TO, EMAIL_TRANSPORT, EMAIL_FROM, EMAIL_API_URL].some(Boolean)) {
    return undefined;
  }
  if (transport !== "http" && transport !== "cloudflare") {
    problems.push({ field: "EMAIL_TRANSPORT", message: 'must be "http" or "cloudflare"' });
    return undefined;
  }
  const { from, to } = addresses(env, problems);
  if (transport === "cloudflare") {
    if (typeof env.EMAIL?.send !== "function") {
      problems.push({
        field: "EMAIL",
        message: 'EMAIL_TRANSPORT "cloudflare" needs a send_email binding named EMAIL',
      });
      return undefined;
    }
    return { name: "email", kind: "email", transport, binding: env.EMAIL, from, to };
  }
  const apiUrl = env.EMAIL_API_URL || DEFAULT_EMAIL_API;
  if (!env.EMAIL_API_KEY)
    problems.push({ field: "EMAIL_API_KEY", message: "secret is required for email alerts" });
  if (!validUrl(apiUrl)) problems.push({ field: "EMAIL_API_URL", message: "must be an https URL" });
  return {
    name: "email",
    kind: "email",
    transport,
    apiUrl,
    apiKey: env.EMAIL_API_KEY ?? "",
    from,
    to,
  };
}

export function loadChannels(env: ChannelEnv): { channels: Channel[]; problems: CoreError[] } {
  const channels: Channel[] = [];
  const problems: CoreError[] = [];
  if (env.SLACK_WEBHOOK_URL) {
    if (validUrl(env.SLACK_WEBHOOK_URL))
      channels.push({ name: "slack", kind: "slack", url: env.SLACK_WEBHOOK_URL });
    else problems.push({ field: "SLACK_WEBHOOK_URL", message: "must be an https URL" });
  }
  if (env.ALERT_WEBHOOK_SECRET && !env.ALERT_WEBHOOK_URL) {
    // Likely a URL set under another name: said, rather than a signed channel gone missing.
    problems.push({
      field: "ALERT_WEBHOOK_SECRET",
      message: "is set without ALERT_WEBHOOK_URL: set the URL, or remove the secret",
    });
  }
  if (env.ALERT_WEBHOOK_URL) {
    if (!validUrl(env.ALERT_WEBHOOK_URL)) {
      problems.push({ field: "ALERT_WEBHOOK_URL", message: "must be an https URL" });
    } else {
      const secret = env.ALERT_WEBHOOK_SECRET;
      channels.push({
        name: "webhook",
        kind: "webhook",
        url: env.ALERT_WEBHOOK_URL,
        ...(secret ? { secret } : {}),
      });
    }
  }
  const email = emailChannel(env, problems);
  if (email && problems.every((p) => !p.field.startsWith("EMAIL"))) channels.push(email);
  return { channels, problems };
}
