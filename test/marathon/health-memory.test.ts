import { describe, expect, test } from "bun:test";
import { TaskHealthMemory } from "../../src/marathon/health-memory.ts";
import { app, httpHealthCheck, task } from "../routing/builders.ts";

const CHECKED = [httpHealthCheck()];

describe("TaskHealthMemory", () => {
  test("a task whose health Marathon stops reporting keeps its last verdict", () => {
    const memory = new TaskHealthMemory();
    memory.applyAll([app({ id: "/web", healthChecks: CHECKED, tasks: [task({ id: "a", alive: true })] })]);
    const [after] = memory.applyAll([app({ id: "/web", healthChecks: CHECKED, tasks: [task({ id: "a", alive: false, healthKnown: false })] })]);
    expect(after!.tasks[0]).toMatchObject({ id: "a", alive: true, healthKnown: false });
  });

  test("tasks that are gone are forgotten, by a full list and by one app", () => {
    const memory = new TaskHealthMemory();
    memory.applyAll([
      app({ id: "/web", healthChecks: CHECKED, tasks: [task({ id: "a" }), task({ id: "b" })] }),
      app({ id: "/api", healthChecks: CHECKED, tasks: [task({ id: "c" })] }),
    ]);
    expect(memory.size).toBe(3);
    memory.applyAll([app({ id: "/web", healthChecks: CHECKED, tasks: [task({ id: "a" })] }), app({ id: "/api", healthChecks: CHECKED, tasks: [task({ id: "c" })] })]);
    expect(memory.size).toBe(2);
    memory.applyOne("/api", null);
    expect(memory.size).toBe(1);
  });

  test("an app without health checks leaves nothing to remember and comes back as it was", () => {
    const memory = new TaskHealthMemory();
    const plain = app({ id: "/plain", tasks: [task({ id: "a" }), task({ id: "b" })] });
    expect(memory.applyAll([plain])[0]).toBe(plain);
    expect(memory.applyOne("/plain", plain)).toBe(plain);
    expect(memory.size).toBe(0);
  });

  test("an app that drops its health checks forgets its tasks' verdicts", () => {
    const memory = new TaskHealthMemory();
    memory.applyAll([app({ id: "/web", healthChecks: CHECKED, tasks: [task({ id: "a" })] })]);
    memory.applyAll([app({ id: "/web", tasks: [task({ id: "a" })] })]);
    expect(memory.size).toBe(0);
  });
});
