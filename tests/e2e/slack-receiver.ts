// A local Slack incoming webhook for the end-to-end tests: answers "ok" like Slack (or, for a
// removed webhook, what Slack answers then) and keeps every message it was sent.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export async function startSlackReceiver(
  answer: { status: number; body: string } = { status: 200, body: "ok" },
): Promise<{
  url: string;
  received: SlackMessage[];
  close: () => Promise<void>;
}> {
  const received: SlackMessage[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as SlackMessage);
      res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/x`,
    received,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
