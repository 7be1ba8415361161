// glibc's malloc and the collector's buffers. Unless told a fixed threshold, glibc raises the size
// from which it maps a block of its own each time such a block is freed; the collector's datagram
// batches and flow chunks (136-200 KiB) then come from its arenas, which keep their memory after
// use. bin/vantage (the installed `vantage`) fixes the threshold; a process started otherwise is
// told so in its log.

/** The log line for a collector whose process runs without a fixed mmap threshold on glibc, else undefined. */
export function mallocAdvice(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== 'linux') return undefined;
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold=/.test(env.GLIBC_TUNABLES ?? '')) return undefined;
  return (
    'MALLOC_MMAP_THRESHOLD_ is not set (the process was not started through bin/vantage): glibc keeps the memory of freed ' +
    'batch buffers, ~100 MB more resident at 1M flows/s and above; set MALLOC_MMAP_THRESHOLD_=131072 (docs/collector.md, "Memory")'
  );
}
