/**
 * Linux's per-CPU page lists (struct per_cpu_pages, docs/model.md §1.3) for order 0: a freed
 * page goes to its CPU's list (LIFO, so the next allocation gets the cache-hot page back);
 * when the list holds more than `high` pages, the `batch` oldest go back to the buddy
 * allocator (free_pcppages_bulk); an allocation from an empty list first takes `batch`
 * pages from the buddy (rmqueue_bulk). Pages on these lists are neither allocated nor on
 * the free lists: hinting and reporting cannot see them, and the watermarks do not count
 * them. One deque per vCPU in an Int32Array ring; nothing allocated per page.
 */
import type { BuddyAllocator } from './buddy-allocator.js';

export class PcpCache {
  private readonly highPages: number;
  private readonly batchPages: number;
  private readonly capacity: number;
  /** Ring buffers, one per vCPU: [vcpu * capacity, (vcpu + 1) * capacity). */
  private readonly ring: Int32Array;
  private readonly oldest: Int32Array;
  private readonly counts: Int32Array;

  constructor(vcpus: number, highPages: number, batchPages: number) {
    this.highPages = highPages;
    this.batchPages = Math.max(1, batchPages);
    this.capacity = highPages + this.batchPages + 1;
    this.ring = new Int32Array(vcpus * this.capacity);
    this.oldest = new Int32Array(vcpus);
    this.counts = new Int32Array(vcpus);
  }

  /** Pages on `vcpu`'s list. */
  pagesOf(vcpu: number): number {
    return this.counts[vcpu];
  }

  /** Takes the most recently freed page of `vcpu`'s list, refilling it first; −1 if none. */
  alloc(vcpu: number, buddy: BuddyAllocator): number {
    if (this.counts[vcpu] === 0) {
      for (let i = 0; i < this.batchPages; i++) {
        const pfn = buddy.alloc(0);
        if (pfn < 0) break;
        this.push(vcpu, pfn);
      }
      if (this.counts[vcpu] === 0) return -1;
    }
    const count = --this.counts[vcpu];
    return this.ring[vcpu * this.capacity + ((this.oldest[vcpu] + count) % this.capacity)];
  }

  /** Puts a freed page on `vcpu`'s list; past `high`, the `batch` oldest go to the buddy. */
  free(vcpu: number, pfn: number, buddy: BuddyAllocator): void {
    this.push(vcpu, pfn);
    if (this.counts[vcpu] <= this.highPages) return;
    const base = vcpu * this.capacity;
    for (let i = 0; i < this.batchPages && this.counts[vcpu] > 0; i++) {
      buddy.free(this.ring[base + this.oldest[vcpu]], 0);
      this.oldest[vcpu] = (this.oldest[vcpu] + 1) % this.capacity;
      this.counts[vcpu]--;
    }
  }

  private push(vcpu: number, pfn: number): void {
    const count = this.counts[vcpu];
    this.ring[vcpu * this.capacity + ((this.oldest[vcpu] + count) % this.capacity)] = pfn;
    this.counts[vcpu] = count + 1;
  }
}
