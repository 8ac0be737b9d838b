import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors.ts";
import { MAX_BODY_BYTES, readJsonBody } from "../../src/http/request-body.ts";

/** A request whose body is the given chunks, then (when `hang`) never ends. */
function requestOf(chunks: readonly string[], options: { hang?: boolean; headers?: Record<string, string> } = {}): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      if (!options.hang) controller.close();
    },
  });
  return new Request("http://127.0.0.1/api/services", { method: "POST", body, headers: options.headers, duplex: "half" } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe("readJsonBody", () => {
  test("reads a body that arrives in pieces", async () => {
    expect(await readJsonBody(requestOf(['{"id":', '"/a"}']))).toEqual({ id: "/a" });
  });

  test.each([
    ["a body that never ends", requestOf(['{"id":'], { hang: true }), 408, "did not arrive within"],
    ["a declared length over the cap", requestOf(["{}"], { headers: { "content-length": String(MAX_BODY_BYTES + 1) } }), 413, "larger than"],
    ["a chunked body over the cap", requestOf(["[", "1,".repeat(MAX_BODY_BYTES), "1]"]), 413, "larger than"],
    ["bytes that are not UTF-8", new Request("http://127.0.0.1/", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]) }), 400, "UTF-8"],
    ["text that is not JSON", requestOf(["{nope"]), 400, "not valid JSON"],
  ])("refuses %s", async (_name, request, status, message) => {
    const error = await refusal(readJsonBody(request, 50));
    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
  });
});
