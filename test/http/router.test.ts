import { expect, test } from "bun:test";
import { Router } from "../../src/http/router.ts";

const router = () => new Router(() => undefined).on("GET", "/api/things/*", (_request, { rest }) => new Response(rest));
const get = (path: string) => router().handle(new Request(`http://127.0.0.1${path}`));

test.each([
  ["/api/things/a%2Fb", 200, "a/b"],
  ["/api/things/%zz", 400, "the path is not valid percent-encoding"],
  ["/api/things/%E0%A4%A", 400, "the path is not valid percent-encoding"],
])("%s answers %i", async (path, status, text) => {
  const answer = await get(path);
  expect(answer.status).toBe(status);
  expect(await answer.text()).toContain(text);
});
