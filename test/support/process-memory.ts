/** A process's memory as Linux reports it, for tests and benchmarks that bound it. */

/** VmRSS (now) and VmHWM (peak since the start or the last {@link resetPeakRss}), in MiB. */
export async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const text = await Bun.file(`/proc/${pid}/status`).text();
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** Starts VmHWM again from the current RSS (Linux's clear_refs "5"), so a peak can be measured per phase. */
export async function resetPeakRss(pid: number): Promise<void> {
  await Bun.write(`/proc/${pid}/clear_refs`, "5");
}
