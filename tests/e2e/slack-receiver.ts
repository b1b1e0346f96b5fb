// A local Slack incoming webhook for the end-to-end tests: answers "ok" like Slack and keeps
// every message it was sent.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export async function startSlackReceiver(): Promise<{
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
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/x`,
    received,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
