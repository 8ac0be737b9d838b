import { expect, test } from "bun:test";
import type { AclVerdict } from "../../src/haproxy/acl-check.ts";
import { makeService } from "../../src/store/types.ts";
import { OutsideAnswerSource } from "../../src/sync/outside-answers.ts";
import { app, task } from "../routing/builders.ts";

function source(verdict: AclVerdict) {
  const asked = { rules: [] as string[][], hosts: [] as string[][] };
  const answers = new OutsideAnswerSource({
    aclChecker: {
      checkAll: async (acls) => {
        asked.rules.push([...acls]);
        return new Map(acls.map((acl) => [acl, verdict]));
      },
    },
    resolver: {
      lookupAll: async (names) => {
        asked.hosts.push([...names]);
        return new Map([...names].map((name) => [name, { address: "10.1.0.1", error: "" }]));
      },
    },
  });
  return { answers, asked };
}

const services = [makeService("/a", "hdr(host) -i a.local"), makeService("/b", "")];
const apps = [app({ id: "/a", tasks: [task({ id: "a.1", host: "agent-1.example" }), task({ id: "a.2", host: "10.0.0.2" })] })];

test("HAProxy is asked about the stored rules once per list, DNS about agents' names only", async () => {
  const { answers, asked } = source({ ok: true });
  const first = await answers.answersFor({ apps, services });
  const again = await answers.answersFor({ apps, services });
  expect(asked.rules).toEqual([["hdr(host) -i a.local"]]);
  expect(again.rules).toBe(first.rules);
  expect(asked.hosts).toEqual([["agent-1.example"], ["agent-1.example"]]);
  expect(first.hosts.get("agent-1.example")).toEqual({ address: "10.1.0.1", error: "" });
});

test("a rule HAProxy could not be run for is asked about again", async () => {
  const { answers, asked } = source({ ok: false, message: "could not run haproxy: ENOENT" });
  await answers.answersFor({ apps, services });
  await answers.answersFor({ apps, services });
  expect(asked.rules).toHaveLength(2);
});
