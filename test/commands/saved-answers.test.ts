import { expect, test } from "bun:test";
import { servicesOfApiAnswer } from "../../src/commands/saved-answers.ts";
import { makeService } from "../../src/store/types.ts";

test.each<[string, unknown, ReturnType<typeof makeService>[]]>([
  ["nothing stored", {}, []],
  [
    "bamboo's answer, sorted by id as the store lists it",
    { "/b": { Id: "/b", Acl: "path_beg -i /b", Config: { Acl: "path_beg -i /b" } }, "/a": { Id: "/a", Acl: "hdr(host) -i a.local", Config: { Acl: "hdr(host) -i a.local", x: "y" } } },
    [makeService("/a", "hdr(host) -i a.local", { x: "y" }), makeService("/b", "path_beg -i /b")],
  ],
  ["Bamboo's answer with a null Config", { "/a": { Id: "/a", Acl: "hdr(host) -i a.local", Config: null } }, [makeService("/a", "hdr(host) -i a.local")]],
  ["an entry without Id takes its key", { "/a": { Acl: "" } }, [makeService("/a", "")]],
])("reads a saved GET /api/services answer: %s", (_name, body, expected) => {
  expect(servicesOfApiAnswer(body)).toEqual(expected);
});

test.each<[string, unknown, string]>([
  ["a list", [], "not a JSON object of services by id"],
  ["an entry that is not an object", { "/a": "hdr(host) -i a" }, "/a: not an object"],
  ["an Acl that is not a string", { "/a": { Id: "/a", Acl: 1 } }, "/a: Id and Acl must be strings"],
  ["a Config value that is not a string", { "/a": { Id: "/a", Acl: "", Config: { n: 1 } } }, "/a: Config must map names to strings"],
])("refuses %s", (_name, body, message) => {
  expect(() => servicesOfApiAnswer(body)).toThrow(message);
});
